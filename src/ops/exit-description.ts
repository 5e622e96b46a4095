/** How a process ended, in words an operator reads in logs and `status` lines. @module */
import type { ExitRecord } from './stack-state.js';

export function describeExit(exit: Pick<ExitRecord, 'code' | 'signal' | 'error'>): string {
  if (exit.error !== undefined) return `start failure (${exit.error})`;
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}
