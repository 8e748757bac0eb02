// The key a login name is counted under: at least as loose as the legacy database's own
// case- and accent-insensitive collations (utf8mb4_unicode_ci, _unicode_520_ci and
// _general_ci), so that no spelling the legacy table would match gets a fresh counter.
// Deliberately looser than any of them: two names that share a key share a budget, which
// costs nothing but an earlier refusal; two spellings of one user on two keys cost a bypass.

/** Letters the collations treat as a base letter but Unicode does not decompose. */
const FOLDS: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  đ: 'd',
  ð: 'd',
  ħ: 'h',
  ł: 'l',
  ŀ: 'l',
  ø: 'o',
  ı: 'i',
  ʣ: 'dz',
  ʦ: 'ts',
  // ŀ is l and a middle dot after NFKC
  '·': '',
  ƾ: 'ts',
};
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'gu');
// Collations give these no weight at all: zero-width space and joiners, soft hyphen, BOM,
// variation selectors, and the C0/C1 controls.
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}]/gu;
const MARKS = /\p{M}/gu;
const SPACES = /[\s\p{Zs}]+/gu;

/**
 * NFKC (fullwidth forms, ligatures), ignorable code points removed, accents stripped, full
 * case folding with ß as ss, outer space trimmed and inner runs collapsed, and any `ss`
 * as `s`, since utf8mb4_general_ci equates ß with s where the UCA collations equate it with ss.
 */
export function collationKey(identifier: string): string {
  return identifier
    .normalize('NFKC')
    .replace(IGNORABLE, '')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFD')
    .replace(MARKS, '')
    .replace(FOLDABLE, (c) => FOLDS[c] ?? c)
    .normalize('NFKC')
    .replace(SPACES, ' ')
    .trim()
    .replace(/s+/g, 's');
}
