// Charts drawn on the server as inline SVG: scales, ticks and paths from d3-scale and
// d3-shape, the markup here. No script, no external asset, so they render under the pages'
// CSP, in a self-contained report file and with JavaScript off. Each chart names itself for
// screen readers, and the page shows the same figures as a table beside it.
import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { line } from 'd3-shape';

/** Okabe-Ito: told apart with every common colour-vision deficiency, and on white. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

export interface Series {
  name: string;
  points: Array<{ x: Date; y: number }>;
  /** Index into PALETTE; default the series' position. */
  color?: number;
  dashed?: boolean;
}

export interface ChartOptions {
  id: string;
  title: string;
  /** One sentence saying what the chart shows, for screen readers. */
  description: string;
  width?: number;
  height?: number;
  /** 'day' labels ticks as dates, 'hour' as hours. */
  unit?: 'day' | 'hour';
}

const MARGIN = { top: 12, right: 16, bottom: 28, left: 56 };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1234567 → "1.2M", 12345 → "12.3k", 12.5 → "12.5". */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3)}k`;
  return Number.isInteger(n) ? String(n) : trim(n);
}

function trim(n: number): string {
  return n.toFixed(1).replace(/\.0$/, '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function tickLabel(d: Date, unit: 'day' | 'hour'): string {
  if (unit === 'hour' && (d.getUTCHours() !== 0 || d.getUTCMinutes() !== 0))
    return `${String(d.getUTCHours()).padStart(2, '0')}:00`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

function frame(
  o: ChartOptions,
  body: string,
  legend: Array<{ name: string; color: string; dashed?: boolean }>,
) {
  const width = o.width ?? 720;
  const height = o.height ?? 240;
  const items = legend
    .map(
      (l) =>
        `<li><svg width="18" height="10" aria-hidden="true" focusable="false"><line x1="0" y1="5" x2="18" y2="5" stroke="${l.color}" stroke-width="3"${l.dashed ? ' stroke-dasharray="4 3"' : ''}/></svg>${escapeXml(l.name)}</li>`,
    )
    .join('');
  return `<figure class="chart"><svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${o.id}-t ${o.id}-d" preserveAspectRatio="xMidYMid meet"><title id="${o.id}-t">${escapeXml(o.title)}</title><desc id="${o.id}-d">${escapeXml(o.description)}</desc>${body}</svg>${legend.length > 1 ? `<ul class="legend">${items}</ul>` : ''}</figure>`;
}

function yAxis(y: ReturnType<typeof scaleLinear<number, number>>, width: number): string {
  return y
    .ticks(5)
    .map((t) => {
      const py = y(t).toFixed(1);
      return `<line class="grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${py}" y2="${py}"/><text class="tick" x="${MARGIN.left - 6}" y="${py}" dy="0.32em" text-anchor="end">${compact(t)}</text>`;
    })
    .join('');
}

function empty(o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 240;
  return frame(
    o,
    `<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle">No figures for this period yet.</text>`,
    [],
  );
}

/** Lines over time, one per series, on a shared y axis starting at 0. */
export function lineChart(o: ChartOptions, series: Series[]): string {
  const width = o.width ?? 720;
  const height = o.height ?? 240;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return empty(o);
  const xs = all.map((p) => p.x.getTime());
  const x = scaleUtc()
    .domain([new Date(Math.min(...xs)), new Date(Math.max(...xs))])
    .range([MARGIN.left, width - MARGIN.right]);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...all.map((p) => p.y))])
    .nice()
    .range([height - MARGIN.bottom, MARGIN.top]);
  const unit = o.unit ?? 'day';
  const xTicks = x
    .ticks(unit === 'hour' ? 8 : 6)
    .map(
      (t) =>
        `<text class="tick" x="${x(t).toFixed(1)}" y="${height - MARGIN.bottom + 18}" text-anchor="middle">${tickLabel(t, unit)}</text>`,
    )
    .join('');
  const path = line<{ x: Date; y: number }>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  const lines = series
    .map((s, i) => {
      const color = PALETTE[(s.color ?? i) % PALETTE.length];
      const d = path([...s.points].sort((a, b) => a.x.getTime() - b.x.getTime()));
      const single =
        s.points.length === 1
          ? `<circle cx="${x(s.points[0]!.x).toFixed(1)}" cy="${y(s.points[0]!.y).toFixed(1)}" r="3" fill="${color}"/>`
          : '';
      return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${single}`;
    })
    .join('');
  const axis = `<line class="axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${height - MARGIN.bottom}" y2="${height - MARGIN.bottom}"/>`;
  return frame(
    o,
    `${yAxis(y, width)}${axis}${xTicks}${lines}`,
    series.map((s, i) => ({
      name: s.name,
      color: PALETTE[(s.color ?? i) % PALETTE.length]!,
      ...(s.dashed ? { dashed: true } : {}),
    })),
  );
}

/** Stacked bars, one bar per point in time, one colour per series. */
export function stackedBars(o: ChartOptions, times: Date[], series: Series[]): string {
  const width = o.width ?? 720;
  const height = o.height ?? 240;
  if (times.length === 0 || series.every((s) => s.points.every((p) => p.y === 0))) return empty(o);
  const keys = times.map((t) => t.getTime());
  const x = scaleBand<number>()
    .domain(keys)
    .range([MARGIN.left, width - MARGIN.right])
    .paddingInner(0.2);
  const value = (s: Series, t: number) => s.points.find((p) => p.x.getTime() === t)?.y ?? 0;
  const totals = keys.map((t) => series.reduce((sum, s) => sum + value(s, t), 0));
  const y = scaleLinear()
    .domain([0, Math.max(1, ...totals)])
    .nice()
    .range([height - MARGIN.bottom, MARGIN.top]);
  const unit = o.unit ?? 'day';
  const every = Math.max(1, Math.ceil(keys.length / 8));
  const xTicks = keys
    .filter((_, i) => i % every === 0)
    .map(
      (t) =>
        `<text class="tick" x="${((x(t) ?? 0) + x.bandwidth() / 2).toFixed(1)}" y="${height - MARGIN.bottom + 18}" text-anchor="middle">${tickLabel(new Date(t), unit)}</text>`,
    )
    .join('');
  const bars: string[] = [];
  for (const t of keys) {
    let base = 0;
    series.forEach((s, i) => {
      const v = value(s, t);
      if (v <= 0) return;
      const top = y(base + v);
      const h = y(base) - top;
      bars.push(
        `<rect x="${(x(t) ?? 0).toFixed(1)}" y="${top.toFixed(1)}" width="${x.bandwidth().toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${PALETTE[(s.color ?? i) % PALETTE.length]}"/>`,
      );
      base += v;
    });
  }
  const axis = `<line class="axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${height - MARGIN.bottom}" y2="${height - MARGIN.bottom}"/>`;
  return frame(
    o,
    `${yAxis(y, width)}${bars.join('')}${axis}${xTicks}`,
    series.map((s, i) => ({ name: s.name, color: PALETTE[(s.color ?? i) % PALETTE.length]! })),
  );
}
