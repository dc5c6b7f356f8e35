/**
 * The claim mapping expression of the configuration (`MAP_*`, `GROUPS_CLAIM`) and
 * its parser. A mapping is written `path|transform|transform…`, where `path` is a
 * claim name or a dotted claim path, and the transforms apply left to right.
 * `claims/mapping.ts` reads claims with a parsed mapping and implements the
 * transforms named here.
 */

/** The transforms a mapping may name, in the order messages list them. */
export const TRANSFORM_NAMES = ['lower', 'upper', 'trim', 'localpart', 'domain'] as const;

export type TransformName = (typeof TRANSFORM_NAMES)[number];

/** A parsed `claim|transform…` mapping. */
export interface ClaimMapping {
  /** The text as configured, for messages. */
  readonly source: string;
  readonly path: readonly string[];
  readonly transforms: readonly TransformName[];
}

/**
 * Parses `path|t1|t2`. Throws a plain `Error` naming the problem (the caller
 * attaches the variable name).
 */
export function parseClaimMapping(source: string): ClaimMapping {
  const [rawPath = '', ...rawTransforms] = source.split('|').map((s) => s.trim());
  if (rawPath === '') throw new Error('the claim path is empty');
  const path = rawPath.split('.');
  if (path.some((p) => p === '')) throw new Error(`"${rawPath}" is not a dotted claim path`);
  const transforms = rawTransforms.map((t) => {
    // A name of the list only: `toString` and the like are properties of every object, not transforms.
    if (!(TRANSFORM_NAMES as readonly string[]).includes(t)) {
      throw new Error(`unknown transform "${t}" (known: ${TRANSFORM_NAMES.join(', ')})`);
    }
    return t as TransformName;
  });
  return { source, path, transforms };
}

/** Parses a dotted path such as `realm_access.roles`. */
export function parseClaimPath(source: string): readonly string[] {
  return parseClaimMapping(source).path;
}
