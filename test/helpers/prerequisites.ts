/**
 * The programs a test runs beyond Node (scripts/test-prerequisites.mjs lists them). `npm test`
 * installs them first; a single file run with `npx tap` does not, so a helper that needs one calls
 * requirePrograms and the test fails with the command that installs it, not with a spawn error.
 */
import { PREREQUISITES, findOnPath } from '../../scripts/test-prerequisites.mjs';

export function requirePrograms(...commands: string[]): void {
  const missing = PREREQUISITES.filter((p) => commands.includes(p.command) && findOnPath(p.command) === undefined);
  if (missing.length === 0) return;
  throw new Error(
    `${missing.map((p) => `${p.command} is not installed (${p.why})`).join('; ')}: ` +
      '`node scripts/test-prerequisites.mjs` installs what the tests need (npm test runs it first), ' +
      'or says the one command to run',
  );
}
