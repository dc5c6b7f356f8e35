/**
 * The only module that reads the process environment: the environment, over a
 * `.env` file in the working directory when there is one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The process environment, over a `.env` file in `cwd` when one exists (a variable
 * set in the environment wins over the file).
 */
export function readEnvironment(cwd = process.cwd()): Environment {
  const file = `${cwd}/.env`;
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/**
 * The process environment alone, without the `.env` file: what a library that
 * reads `process.env` itself (the OpenTelemetry SDK) sees.
 */
export const processEnvironment = (): Environment => process.env;
