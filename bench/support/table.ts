// The plain table the single-part runs print (BENCH_PHASES, BENCH_SOAK): one line per figure,
// its value, and for a figure with a target whether it was met.

export type Line = [figure: string, value: string, verdict?: string];

/** `met (target)` or `MISSED (target)`, as every bench table prints a verdict. */
export const verdict = (met: boolean, target: string): string =>
  met ? `met (${target})` : `MISSED (${target})`;

export function printLines(lines: Line[]): void {
  const w = Math.max(0, ...lines.map(([f]) => f.length));
  for (const [figure, value, v] of lines)
    process.stdout.write(`${figure.padEnd(w)}  ${value}${v ? `  ${v}` : ''}\n`);
}
