/**
 * Whether a secret typed into the configuration could have come from a random
 * generator. A length rule alone lets `aaaa…` or `passwordpassword…` through;
 * these cheap tests catch what a person writes, never what `openssl rand`
 * produces (hex or base64 of 16 random bytes and more pass: the bounds sit well below
 * what such secrets reach, so a real one is never refused).
 */
import { deflateRawSync } from 'node:zlib';

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

/** Below this ratio of compressed to written size, a secret repeats itself (random text does not compress). */
export const MIN_COMPRESSED_RATIO = 0.8;
/** From this share of characters in runs along a keyboard row or the alphabet, a secret was typed. */
export const MAX_RUN_SHARE = 0.75;

/** Rows and orders people type along; a run is 4 or more neighbours in one of them, either way. */
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '01234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const neighbours = (a: string, b: string) => SEQUENCES.some((q) => q.includes(a + b) || q.includes(b + a));

/** The share of `s`'s characters that stand in runs of 4 or more keyboard or alphabet neighbours. */
export function runShare(s: string): number {
  const lower = s.toLowerCase();
  let inRuns = 0;
  let run = 1;
  for (let i = 1; i <= lower.length; i++) {
    if (i < lower.length && neighbours(lower[i - 1]!, lower[i]!)) run++;
    else {
      if (run >= 4) inRuns += run;
      run = 1;
    }
  }
  return lower.length === 0 ? 0 : inRuns / lower.length;
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
  if (deflateRawSync(Buffer.from(secret), { level: 9 }).length < MIN_COMPRESSED_RATIO * Buffer.byteLength(secret))
    return 'repeats itself';
  if (runShare(secret) >= MAX_RUN_SHARE) return 'is mostly runs along the keyboard or the alphabet';
  const bits = estimatedBits(secret);
  if (bits < MIN_SECRET_BITS)
    return `has too little variety (about ${Math.floor(bits)} bits by its character frequencies; ${MIN_SECRET_BITS} at least)`;
  return undefined;
}
