/**
 * Whether a secret typed into the configuration could have come from a random
 * generator. A length rule alone lets `aaaa…` or `passwordpassword…` through;
 * these cheap tests catch what a person writes, never what `openssl rand`
 * produces (hex or base64 of 16 random bytes and more pass: the bounds sit well below
 * what such secrets reach, so a real one is never refused).
 */

/** The least Shannon estimate, in bits, of a secret's characters taken one by one. */
export const MIN_SECRET_BITS = 80;
/** The least number of different characters. */
export const MIN_DISTINCT_CHARACTERS = 8;

/** Shannon entropy of the character frequencies, times the length: a rough upper bound of the bits in `s`. */
export function estimatedBits(s: string): number {
  const counts = new Map<string, number>();
  const chars = [...s];
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** True when `s` is a shorter string written several times (`abcdabcd…`). */
function isRepetition(s: string): boolean {
  for (let size = 1; size <= s.length / 2; size++) {
    if (s.length % size === 0 && s.slice(0, size).repeat(s.length / size) === s) return true;
  }
  return false;
}

/** Why `secret` looks typed rather than generated; undefined when it does not. */
export function secretWeakness(secret: string): string | undefined {
  const distinct = new Set(secret).size;
  if (isRepetition(secret)) return 'repeats one short string';
  if (distinct < MIN_DISTINCT_CHARACTERS) return `has only ${distinct} different characters`;
  const bits = estimatedBits(secret);
  if (bits < MIN_SECRET_BITS) return `has too little variety (about ${Math.floor(bits)} bits by its character frequencies; ${MIN_SECRET_BITS} at least)`;
  return undefined;
}
