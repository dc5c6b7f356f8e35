/** The problems `parseConfig` reports for an environment, by variable ({} when it is valid). */
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';

export function configProblems(env: Record<string, string | undefined>): Record<string, string> {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return Object.fromEntries(e.problems.map((p) => [p.variable, p.problem]));
    throw e;
  }
  return {};
}
