/**
 * The start-up audit line's view of the settings: which of the bridge's
 * variables are set (names only), and a SHA-256 of the non-secret ones' values,
 * so that an auditor can tell two replicas, or a restart, apart by their
 * settings without the log carrying them. Secret variables count by name only:
 * never their value, nor a hash of it (a hash of a low-entropy secret can be
 * guessed offline); a `_FILE` counts by its path. Secret values quoted inside
 * another variable (the password of a proxy URL) are hidden before hashing.
 */
import { createHash } from 'node:crypto';
import type { Environment } from './environment.js';
import type { BridgeConfig } from './settings.js';
import { GLOBAL_VARIABLES, PER_IDP_VARIABLES, VARIABLES, type VariableName } from './table.js';
import { idpVariableName } from './unknown.js';

export interface SettingsFingerprint {
  /** SHA-256 (hex) of the canonical JSON of the non-secret variables set, sorted by name. */
  readonly settingsSha256: string;
  /** Every variable of the bridge that is set, secrets and `_FILE`s included, sorted: names only. */
  readonly variablesSet: readonly string[];
}

/**
 * The fingerprint of the settings `env` gives the bridge `config` was parsed
 * from. `secrets`: the configuration's secret values, hidden wherever a
 * non-secret variable quotes them.
 */
export function settingsFingerprint(
  env: Environment,
  config: Pick<BridgeConfig, 'idps'>,
  secrets: readonly string[],
): SettingsFingerprint {
  const names: [VariableName, string][] = [
    ...GLOBAL_VARIABLES.map((n): [VariableName, string] => [n, n]),
    ...config.idps.flatMap(({ name }) =>
      PER_IDP_VARIABLES.map((n): [VariableName, string] => [n, idpVariableName(name, n)]),
    ),
  ];
  const values: Record<string, string> = {};
  const set: string[] = [];
  // The same replacement as observability's hideValues (longest first), written here because config
  // may not import from a layer above it; a hash needs no more than that.
  const hidden = [...secrets].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  const hide = (v: string) => hidden.reduce((t, s) => t.split(s).join('[secret]'), v);
  for (const [name, actual] of names) {
    const secret = VARIABLES[name].secret === true;
    const raw = env[actual];
    if (raw !== undefined) {
      set.push(actual);
      if (!secret) values[actual] = hide(raw);
    }
    const file = secret ? env[`${actual}_FILE`] : undefined;
    if (file !== undefined) {
      set.push(`${actual}_FILE`);
      values[`${actual}_FILE`] = file;
    }
  }
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1))));
  return {
    settingsSha256: createHash('sha256').update(canonical).digest('hex'),
    variablesSet: set.sort(),
  };
}
