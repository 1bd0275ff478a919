import type { Log } from '../ports.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}

function render(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * The CLI's log: one line per entry on the given stream (stderr), `level message key=value…`,
 * so stdout stays for results. Callers never pass customer PII in fields.
 */
export function createStreamLog(write: (line: string) => void, level: LogLevel = 'info'): Log {
  const emit =
    (entryLevel: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
      if (RANK[entryLevel] < RANK[level]) return;
      const rendered = Object.entries(fields ?? {})
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${render(value)}`)
        .join(' ');
      write(`${entryLevel.padEnd(5)} ${message}${rendered ? ` ${rendered}` : ''}\n`);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
