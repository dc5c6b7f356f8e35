/**
 * V8 tiering for a server that must be quick in its first minute, not only
 * after an hour: a replica started at a shift change serves a burst of logins
 * at once. Imported first by `server.ts`, before any request is served.
 *
 * Node 20's V8 (11.x) hands a function to its optimising compiler after about
 * 66 KB of its bytecode has run; a quarter of that gets the login path (ours,
 * Fastify's, undici's and Node's HTTP code) optimised within the first few
 * hundred logins. Measured with the shared bench (2 s warm-up, then 8 s): CPU
 * per login about 20% lower, and about 10% lower after a 15 s warm-up too (see
 * the README's performance section). Newer V8 (Node 22 and later, the Docker
 * image's Node 24) tiers up through Maglev with other heuristics and is left
 * alone, as is a budget set on the command line.
 */
import { setFlagsFromString } from 'node:v8';

/** The budget, in bytes of bytecode run, before V8 considers optimising a function. */
export const INTERRUPT_BUDGET = 16 * 1024;

/** True when this V8 has the flag (V8 11 and older) and the command line did not set it. */
export function shouldLowerInterruptBudget(v8Version: string, execArgv: readonly string[]): boolean {
  return Number(v8Version.split('.')[0]) <= 11 && !execArgv.some((a) => /^--interrupt[-_]budget(=|$)/.test(a));
}

if (shouldLowerInterruptBudget(process.versions.v8, process.execArgv)) setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
