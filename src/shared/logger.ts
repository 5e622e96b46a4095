/**
 * Structured logging (pino). One root logger per process; components take a
 * child with their name so every line says where it came from.
 * @module
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent = 'info', name = 'tickstream'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
