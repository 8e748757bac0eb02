// The page colours derived from ui.primary_color. A brand colour may be too light for white
// button text or for links on white; rather than trust it, the pages pick the text colour on
// buttons and the link colour by WCAG contrast, so any configured colour stays readable.
export interface Theme {
  /** The configured colour: button backgrounds, the focus ring. */
  brand: string;
  /** Text on a brand background: white or near-black, whichever contrasts more. */
  onBrand: string;
  /** Links and outlines on white: the brand colour when it reads as text there, else a dark one. */
  link: string;
}

const INK = '#1b1f24';
const WHITE = '#ffffff';

function channel(hex: string, at: number): number {
  const c = Number.parseInt(hex.slice(at, at + 2), 16) / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Relative luminance of a #rrggbb colour (WCAG 2.x). */
export function luminance(hex: string): number {
  return 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5);
}

/** Contrast ratio of two #rrggbb colours, from 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export function themeFor(primary: string): Theme {
  const brand = /^#[0-9a-fA-F]{6}$/.test(primary) ? primary.toLowerCase() : '#1f5fbf';
  return {
    brand,
    onBrand: contrast(brand, WHITE) >= contrast(brand, INK) ? WHITE : INK,
    link: contrast(brand, WHITE) >= 4.5 ? brand : INK,
  };
}
