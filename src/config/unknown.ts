/**
 * Variables the bridge does not know. A misspelt rule (`ALLOWED_GROUP` for
 * `ALLOWED_GROUPS`) would otherwise be ignored and the bridge would start with
 * one rule fewer: every variable in the bridge's namespaces (the prefixes its
 * table uses) must be one of its own, else the start-up stops with the name it
 * most likely meant. Kubernetes service-link variables share those namespaces
 * (a Service named `redis` injects `REDIS_PORT=tcp://…`): they are recognised
 * and ignored. `OTEL_*` is OpenTelemetry's namespace: a variable there must be
 * the bridge's or one of the OpenTelemetry names that exist (otel-names.ts).
 */
import { OTEL_VARIABLES } from './otel-names.js';
import { GLOBAL_VARIABLES, PER_IDP_VARIABLES, VARIABLES, type VariableName } from './table.js';

/** A problem with a variable, as the configuration reports it. */
export interface VariableProblem {
  readonly variable: string;
  readonly problem: string;
}

const NAMES = Object.keys(VARIABLES) as VariableName[];

/**
 * Prefixes owned by other programs too: the proxy variables are read by every
 * HTTP client on the machine (`NO_COLOR`, `HTTP_PROXY_…`), so `HTTP_`, `HTTPS_`
 * and `NO_` are not the bridge's namespaces, only its three names in them are.
 * `OTEL_` is OpenTelemetry's: the SDK reads many more (`OTEL_BSP_*`,
 * `OTEL_EXPORTER_OTLP_TIMEOUT`, …) than the few the bridge reads itself, so its
 * names are checked against OpenTelemetry's list, not the bridge's.
 */
const SHARED_PREFIXES = new Set(['HTTP_', 'HTTPS_', 'NO_', 'OTEL_']);

/** The bridge's namespaces: the first word of every variable of the table, and `IDP_`. */
export const BRIDGE_PREFIXES: readonly string[] = [
  ...new Set([...NAMES.filter((n) => n.includes('_')).map((n) => `${n.split('_')[0]!}_`), 'IDP_']),
].filter((p) => !SHARED_PREFIXES.has(p));

/** Names accepted besides the table's: the lower-case proxy variables. */
const ALSO_KNOWN = ['http_proxy', 'https_proxy', 'no_proxy'];

/** The prefix of an extra IdP's variables: `IDP_<NAME>_`. */
export function idpPrefix(name: string): string {
  return `IDP_${name.toUpperCase().replace(/-/g, '_')}_`;
}

/** The name IdP `idp` reads variable `n` of the table by: the table's own for `default`, `IDP_<NAME>_<suffix>` for an extra one. */
export function idpVariableName(idp: string, n: VariableName): string {
  return idp === 'default' ? n : `${idpPrefix(idp)}${VARIABLES[n].idpSuffix!}`;
}

/** `written` for variable `n` of the table, and `written_FILE` when `n` is a secret. */
const withFile = (n: VariableName, written: string) => (VARIABLES[n].secret ? [written, `${written}_FILE`] : [written]);

/** The variables an IdP reads, with `prefix` (`''` for the default IdP, whose names are the table's). */
function idpNames(prefix: string): string[] {
  return PER_IDP_VARIABLES.flatMap((n) => withFile(n, prefix === '' ? n : `${prefix}${VARIABLES[n].idpSuffix!}`));
}

const DEFAULT_NAMES = [...GLOBAL_VARIABLES.flatMap((n) => withFile(n, n)), ...idpNames('')];
/** The `OTEL_*` names a misspelt one may stand for: the bridge's own and OpenTelemetry's. */
const OTEL_NAMES = [...new Set([...DEFAULT_NAMES.filter((n) => n.startsWith('OTEL_')), ...OTEL_VARIABLES])];
/** Per IdP: what follows `IDP_<NAME>_` (`ISSUER`), and the default IdP's name for it (`OIDC_ISSUER`), `_FILE` forms first. */
const IDP_SETTINGS = PER_IDP_VARIABLES.flatMap((n) => {
  const [name, file] = withFile(n, n);
  const [suffix, suffixFile] = withFile(n, VARIABLES[n].idpSuffix!);
  return file === undefined
    ? [{ suffix: suffix!, name: name! }]
    : [
        { suffix: suffixFile!, name: file },
        { suffix: suffix!, name: name! },
      ];
});

/**
 * Variables outside the bridge's namespaces are other programs' business, unless
 * one is a near miss of the bridge's own (`ALOWED_GROUPS`, `ALLOWEDGROUPS`): a
 * name of 8 characters or more one edit away (two from 12), or the same letters
 * without the underscores. Short names are left alone (`HOME` is two edits from `HOST`).
 */
function nearMiss(upper: string): string | undefined {
  if (upper.length < 8) return undefined;
  const bare = upper.replace(/_/g, '');
  const close = closestName(upper, DEFAULT_NAMES);
  if (close !== undefined && distance(upper, close) <= (upper.length >= 12 ? 2 : 1)) return close;
  return DEFAULT_NAMES.find((k) => k.replace(/_/g, '') === bare);
}

/** True for the variables Kubernetes injects for each Service of the namespace (service links). */
export function isServiceLink(name: string, value: string | undefined): boolean {
  if (/^[A-Z0-9_]+_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)$/.test(name)) return true;
  if (/^[A-Z0-9_]+_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/.test(name)) return true;
  return /^[A-Z0-9_]+_PORT$/.test(name) && /^(tcp|udp|sctp):\/\/[^/\s]+$/.test(value ?? '');
}

/** Optimal string alignment distance: edits, with two swapped neighbours as one. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name `name` most likely stands for, if one is close enough. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const upper = name.toUpperCase();
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = upper === k ? 0 : upper.endsWith(`_${k}`) || k.startsWith(upper) ? 1 : distance(upper, k);
    if (best === undefined || d < best.d) best = { name: k, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(best.name.length / 6)) ? best.name : undefined;
}

const suggest = (name: string, known: readonly string[]) => {
  const close = closestName(name, known);
  return close === undefined ? '' : `; did you mean ${close}?`;
};

/** Why `name`, not a variable of the bridge, cannot be ignored; undefined when it is outside the bridge's namespaces. */
function problemWith(name: string, extraIdps: readonly string[], known: ReadonlySet<string>): string | undefined {
  const upper = name.toUpperCase();
  const otel = upper.startsWith('OTEL_');
  if (otel && OTEL_VARIABLES.has(name)) return undefined;
  if (!otel && !BRIDGE_PREFIXES.some((p) => upper.startsWith(p))) {
    const meant = nearMiss(upper);
    return meant === undefined ? undefined : `is not a variable of the bridge; did you mean ${meant}?`;
  }
  if (name !== upper && (known.has(upper) || OTEL_VARIABLES.has(upper)))
    return `variable names are upper-case: write ${upper}`;
  if (upper.endsWith('_FILE') && known.has(upper.slice(0, -'_FILE'.length))) {
    return `only secrets may be read from a file (_FILE); set ${upper.slice(0, -'_FILE'.length)} itself`;
  }
  if (otel) {
    const meant = closestName(name, OTEL_NAMES);
    return meant === undefined
      ? `is not an OpenTelemetry variable (neither the bridge's nor one of the specification's): remove it from the environment or the .env file`
      : `is not an OpenTelemetry variable; did you mean ${meant}?`;
  }
  if (!upper.startsWith('IDP_')) return `is not a variable of the bridge${suggest(name, DEFAULT_NAMES)}`;
  // `IDP_ACQ_OIDC_ISSUER`: the default IdP's name written after the prefix.
  const asDefault = IDP_SETTINGS.find(
    (s) => s.name !== s.suffix && upper.endsWith(`_${s.name}`) && upper.length > 'IDP_'.length + s.name.length + 1,
  );
  const setting =
    asDefault ??
    IDP_SETTINGS.find((s) => upper.endsWith(`_${s.suffix}`) && upper.length > 'IDP_'.length + s.suffix.length + 1);
  const idpName = setting && upper.slice('IDP_'.length, -(asDefault ? asDefault.name : setting.suffix).length - 1);
  const written = asDefault ? `IDP_${idpName!}_${asDefault.suffix}` : undefined;
  const idp = extraIdps.find((i) => upper.startsWith(idpPrefix(i)));
  if (idp !== undefined)
    return `is not a variable of the extra IdP "${idp}"${written ? `; write ${written}` : suggest(name, idpNames(idpPrefix(idp)))}`;
  const listed = extraIdps.length === 0 ? 'OIDC_IDPS is not set' : `OIDC_IDPS lists ${extraIdps.join(', ')}`;
  if (idpName === undefined)
    return `is not a variable of the bridge (an extra IdP's variables are IDP_<NAME>_<SETTING>, with NAME listed in OIDC_IDPS)`;
  return `names an IdP "${idpName.toLowerCase().replace(/_/g, '-')}" that is not in OIDC_IDPS (${listed}); add it there${written ? ` (and write ${written})` : ''}, or remove this variable`;
}

/**
 * The variables of `env` in the bridge's namespaces that it does not read, each
 * with the reason and, where one is close, the name it most likely meant.
 * `extraIdps` are the names listed in `OIDC_IDPS`.
 */
export function unknownVariables(
  env: Readonly<Record<string, string | undefined>>,
  extraIdps: readonly string[],
): VariableProblem[] {
  const known = new Set([...DEFAULT_NAMES, ...ALSO_KNOWN, ...extraIdps.flatMap((i) => idpNames(idpPrefix(i)))]);
  const problems: VariableProblem[] = [];
  for (const name of Object.keys(env)) {
    if (known.has(name) || env[name] === undefined || isServiceLink(name, env[name])) continue;
    const problem = problemWith(name, extraIdps, known);
    if (problem !== undefined) problems.push({ variable: name, problem });
  }
  return problems;
}
