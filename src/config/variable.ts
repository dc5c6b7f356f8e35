/**
 * The shape of one row of the variable table (`table.ts`): how a variable is
 * parsed, documented and scoped to IdPs. The rows live in `variables/`, one file
 * per section of `docs/configuration.md`.
 */

/** What a parser is given besides the value, and how it reports a problem. */
export interface ParseContext {
  /** Records a problem with this variable (its actual name is added by the walker). */
  bad(problem: string): void;
  /** Reads a file a variable names (secrets, keys); throws as `fs` does. */
  readFile(path: string): string;
}

/**
 * A parser: the value as set (trimmed; `''` when set but empty, undefined when
 * unset) to the parsed value. On a problem it calls `ctx.bad` and returns its
 * fallback, so that every problem is collected in one pass.
 */
export type Parser<T> = (raw: string | undefined, ctx: ParseContext) => T;

/** How a variable applies to the extra IdPs of `OIDC_IDPS`. */
export type IdpScope =
  /** One value for the whole bridge. */
  | 'global'
  /** Each IdP its own (`IDP_<NAME>_<suffix>` for extra IdPs), never inherited. */
  | 'idp'
  /** Each IdP may set its own; unset, an extra IdP takes the default IdP's. */
  | 'idp-inherited';

/** The sections of `docs/configuration.md`, in the order the table lists them. */
export type Group =
  | 'Required'
  | 'Sign-in (per IdP)'
  | 'Access rules'
  | 'Claim mapping'
  | 'CommBox'
  | 'Customer chat'
  | 'Server'
  | 'Outbound proxy'
  | 'Several replicas (Redis)'
  | 'Operations';

export interface Variable<T> {
  readonly group: Group;
  readonly scope: IdpScope;
  /** For per-IdP variables: the name after `IDP_<NAME>_` (e.g. `ISSUER` for `OIDC_ISSUER`). */
  readonly idpSuffix?: string;
  /** May also be given as `<NAME>_FILE` (Docker and Kubernetes secrets); scrubbed from logs. */
  readonly secret?: boolean;
  /** When it is required: `true` always, or the condition in words. */
  readonly required?: true | string;
  /** The default, as the docs show it. */
  readonly default?: string;
  /** One line of documentation. */
  readonly doc: string;
  /** A value for `.env.example` (required variables, and examples of optional ones). */
  readonly example?: string;
  readonly parse: Parser<T>;
}

/** A row of the table, its value type inferred from its parser. */
export const variable = <T>(v: Variable<T>): Variable<T> => v;
