/** Flag parsing shared by the subcommands (node:util parseArgs, strict). @module */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/config-error.js';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export function parseFlags(argv: string[], options: FlagSpec): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Prints a configuration error the way an operator wants to read it, and returns the exit code. */
export function reportConfigError(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`tickstream: ${error.message}\n`);
    return 2;
  }
  throw error;
}
