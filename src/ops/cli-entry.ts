/**
 * How to run this package's own `tickstream` binary as a child process:
 * `node <package>/dist/cli/main.js` found from this module's location, so it
 * works from an installed package, from `dist/`, and (through tsx) from source.
 * @module
 */
import { fileURLToPath } from 'node:url';

/** The command and leading arguments; append the subcommand and its flags. */
export function tickstreamCommand(): { readonly command: string; readonly args: readonly string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(fromSource ? '../cli/main.ts' : '../cli/main.js', import.meta.url));
  // From source the children need the same TypeScript loader this process runs under.
  return { command: process.execPath, args: fromSource ? ['--import', 'tsx', main] : [main] };
}
