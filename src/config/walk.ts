/**
 * The walk of the variable table: each variable read from the environment under
 * its actual name (the table's, or an extra IdP's `IDP_<NAME>_…`), a secret from
 * its `_FILE` when one is named, and parsed; every problem collected, none thrown.
 * The rules between variables then work on what the walk returns, never on the
 * environment again.
 */
import type { Environment } from './environment.js';
import { VARIABLES, type Values, type VariableName } from './table.js';
import type { VariableProblem } from './unknown.js';
import type { ParseContext } from './variable.js';

/** The name a variable of the table is read under (the default IdP's is the table's own). */
export type NameOf = (name: VariableName) => string;

/** What one walk found. */
export interface Walked {
  /** The parsed value of each variable walked (the others are absent). */
  readonly values: Values;
  /**
   * The variables the environment sets, by their table name: a value that is not
   * empty, or a `_FILE`. A rule that needs to know whether a variable was set at
   * all, whatever its parser made of it, reads this.
   */
  readonly given: ReadonlySet<VariableName>;
}

/**
 * Parses `names` from `env`, each read as `nameOf(name)` (and `<that>_FILE` for
 * secrets), pushing every problem onto `problems`. With `inherit`, an unset
 * `idp-inherited` variable takes its value.
 */
export function walkVariables(
  env: Environment,
  names: readonly VariableName[],
  nameOf: NameOf,
  problems: VariableProblem[],
  readFile: (path: string) => string,
  inherit?: Values,
): Walked {
  const values: Partial<Record<VariableName, unknown>> = {};
  const given = new Set<VariableName>();
  for (const name of names) {
    const spec = VARIABLES[name];
    const actual = nameOf(name);
    const bad = (problem: string) => void problems.push({ variable: actual, problem });
    let raw = env[actual]?.trim();
    const file = spec.secret ? env[`${actual}_FILE`]?.trim() : undefined;
    if (raw || file) given.add(name);
    if (file) {
      if (raw) bad(`and ${actual}_FILE are both set; set only one`);
      else {
        try {
          raw = readFile(file)
            .replace(/\r?\n$/, '')
            .trim();
          if (raw === '') problems.push({ variable: `${actual}_FILE`, problem: `the file ${file} is empty` });
        } catch (e) {
          problems.push({
            variable: `${actual}_FILE`,
            problem: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the path and the mounted secret's keys, or set ${actual} instead`,
          });
          raw = undefined;
        }
      }
    }
    if (inherit && spec.scope === 'idp-inherited' && raw === undefined) {
      values[name] = inherit[name];
      continue;
    }
    if (spec.required === true && !raw && !file) bad(spec.secret ? `is required (or ${actual}_FILE)` : 'is required');
    const ctx: ParseContext = { bad, readFile };
    values[name] = spec.parse(raw, ctx);
  }
  return { values: values as Values, given };
}
