// The contract of a password verifier. One verifier per file in this folder; the ordered
// list in registry.ts is the only list. A check has three outcomes: true (match), false
// (mismatch), or a thrown UnusableHashError (the stored hash cannot be used).

export interface VerifyInput {
  password: string;
  /** The stored hash string exactly as the legacy row holds it. */
  stored: string;
  /** A salt kept in its own column, when there is one. */
  salt?: string | undefined;
  /** The application-wide secret of `legacy.password.pepper`, when one is configured. */
  pepper?: string | undefined;
}

/** A digest hash taken apart: hash = hex(algorithm(salt + password)), lowercase. */
export interface DigestForm {
  algorithm: 'md5' | 'sha1' | 'sha256';
  salt: string;
  hash: string;
}

/**
 * What a verifier found: a verdict and, when the verifier covers several compositions, the
 * one that matched (e.g. `sha1(password + salt)`, `werkzeug-legacy`).
 */
export interface VerifyOutcome {
  match: boolean;
  scheme?: string | undefined;
}

/** Whether a verifier reads a salt (or pepper) kept outside the stored value. */
export type Uses = 'never' | 'optional' | 'required';

/** @deprecated The older name of DigestForm; what a target makes of one lives in src/target/. */
export type TargetPasswordForm = DigestForm;

export interface Verifier {
  /** Stable scheme id, used in config output, metrics labels and audit rows, e.g. "bcrypt". */
  id: string;
  /** Who writes this format, as an operator would name it: "WordPress 6.8+", "ASP.NET Identity v3". */
  label: string;
  /** True when the stored string is in this verifier's format. */
  detect(stored: string, salt?: string): boolean;
  /** Resolves true/false (or an outcome); rejects with UnusableHashError when the stored hash is malformed. */
  verify(input: VerifyInput): Promise<boolean | VerifyOutcome>;
  /** A salt kept apart: most formats carry their own and never read one. Default 'never'. */
  salt?: Uses;
  /** The configured pepper. Default 'never'. */
  pepper?: Uses;
  /** Only used when named as the scheme (a preset): nothing in the stored value identifies it. */
  presetOnly?: boolean;
  /**
   * A stored value of this format for a random, discarded password, at the writing
   * application's default cost, or at the cost of `like` (a real row) when given. Verifying
   * against it costs what a real check costs: the decoy for users who do not exist.
   */
  decoy(like?: string): Promise<string>;
  /**
   * When the target accepts this hash as it is (md5/sha1/sha256, unsalted or salt-first),
   * the form to send without a re-hash; otherwise undefined. Used by the bulk import.
   */
  targetForm?(stored: string, salt?: string): TargetPasswordForm | undefined;
  /**
   * Checks the stored value's shape without a password and at no hashing cost; throws
   * UnusableHashError when no password can ever match it (a cut-short bcrypt). Used by the
   * bulk import's plan, so such a row is rejected rather than left waiting for a login.
   */
  check?(stored: string): void;
}

/** A verdict in either shape, as a plain outcome. */
export function outcomeOf(result: boolean | VerifyOutcome): VerifyOutcome {
  return typeof result === 'boolean' ? { match: result } : result;
}
