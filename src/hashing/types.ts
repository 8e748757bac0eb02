// The contract of a password verifier. One verifier per file in this folder; the ordered
// list in registry.ts is the only list. A check has three outcomes: true (match), false
// (mismatch), or a thrown UnusableHashError (the stored hash cannot be used).

export interface VerifyInput {
  password: string;
  /** The stored hash string exactly as the legacy row holds it. */
  stored: string;
  /** A salt kept in its own column, when there is one. */
  salt?: string | undefined;
}

/** A digest hash taken apart: hash = hex(algorithm(salt + password)), lowercase. */
export interface DigestForm {
  algorithm: 'md5' | 'sha1' | 'sha256';
  salt: string;
  hash: string;
}

/** @deprecated The older name of DigestForm; what a target makes of one lives in src/target/. */
export type TargetPasswordForm = DigestForm;

export interface Verifier {
  /** Stable scheme id, used in config output, metrics labels and audit rows, e.g. "bcrypt". */
  id: string;
  /** True when the stored string is in this verifier's format. */
  detect(stored: string, salt?: string): boolean;
  /** Resolves true/false; rejects with UnusableHashError when the stored hash is malformed. */
  verify(input: VerifyInput): Promise<boolean>;
  /**
   * When the target accepts this hash as it is (md5/sha1/sha256, unsalted or salt-first),
   * the form to send without a re-hash; otherwise undefined. Used by the bulk import.
   */
  targetForm?(stored: string, salt?: string): TargetPasswordForm | undefined;
}
