// The colours derived from ui.primary_color keep text readable whatever the operator picks:
// button text and links are chosen by WCAG contrast, not assumed.
import { describe, expect, it } from 'vitest';
import { contrast, themeFor } from '../../src/ui/theme.ts';

describe('the page theme', () => {
  it('computes WCAG contrast ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    expect(contrast('#767676', '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('puts white text on a dark brand colour and uses the colour itself for links', () => {
    expect(themeFor('#1f5fbf')).toEqual({ brand: '#1f5fbf', onBrand: '#ffffff', link: '#1f5fbf' });
  });

  it('puts dark text on a light brand colour and keeps links dark enough to read on white', () => {
    const theme = themeFor('#FFCC00');
    expect(theme.brand).toBe('#ffcc00');
    expect(theme.onBrand).toBe('#1b1f24');
    expect(contrast(theme.link, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(theme.brand, theme.onBrand)).toBeGreaterThanOrEqual(4.5);
  });
});
