// The types of scripts/test-prerequisites.mjs, for the tests and helpers that import it.
export interface Prerequisite {
  readonly command: string;
  readonly why: string;
  readonly debianPackage: string;
}
export const PREREQUISITES: readonly Prerequisite[];
export function findOnPath(command: string, path?: string): string | undefined;
export type Plan =
  | { action: 'none' }
  | { action: 'tell'; message: string }
  | { action: 'install'; packages: string[]; needs: string; sudo: boolean; installArgs: string[] };
export function plan(facts: {
  missing: readonly Prerequisite[];
  hasAptGet: boolean;
  isRoot: boolean;
  hasSudo: boolean;
  sudoWithoutPassword: boolean;
  /** False with TEST_PREREQUISITES_INSTALL=no: tell, never install. Default true. */
  installAllowed?: boolean;
}): Plan;
