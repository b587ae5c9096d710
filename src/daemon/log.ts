// I/O edge: the daemon's logger — pino, JSON lines (pretty on a terminal), one event per state change.
import pino, { type Logger } from 'pino';

/** createLogger returns the daemon's logger: pretty when stdout is a terminal, JSON lines otherwise. */
export function createLogger(level = 'info', pretty = process.stdout.isTTY === true): Logger {
  if (pretty) return pino({ level, base: undefined, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
