/**
 * The README's configuration tables say what lib/core/settings.ts enforces: the same keys,
 * ranges and defaults. Edit the module and this test names the row to update.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  APP_ID_PATTERN,
  DEFAULT_GLEANTAP_BASE_URL,
  LOOKBACK_DAYS,
  PAGE_SIZE,
  RECONCILE_INTERVAL_DAYS,
} from '../lib/core/settings.ts';
import { CONTEXT_KEYS } from '../lib/infra/notifier-context.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The cells of each table row whose first cell starts with the given code span. */
function rows(prefix: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    const key = /^`([^`]+)`/.exec(cells[0] ?? '')?.[1];
    if (key?.startsWith(prefix)) found.set(key, cells);
  }
  return found;
}

const context = rows('gleantap:');
const environment = rows('NOTIFIER_');
const gleantap = rows('GLEANTAP_');

describe('README configuration tables', () => {
  it('list exactly the context keys the app reads', () => {
    expect([...context.keys()].sort()).toEqual(Object.values(CONTEXT_KEYS).sort());
  });

  it.each([
    [context.get(CONTEXT_KEYS.lookbackDays), LOOKBACK_DAYS],
    [context.get(CONTEXT_KEYS.pageSize), PAGE_SIZE],
    [context.get(CONTEXT_KEYS.reconcileIntervalDays), RECONCILE_INTERVAL_DAYS],
    [environment.get('NOTIFIER_LOOKBACK_DAYS'), LOOKBACK_DAYS],
    [environment.get('NOTIFIER_PAGE_SIZE'), PAGE_SIZE],
  ])('row %j states the range and default of the settings module', (row, range) => {
    expect(row?.join(' | ')).toContain(`${range.min}–${range.max}`);
    expect(row).toContain(`\`${range.default}\``);
  });

  it('states the default base URL and that plain http is for loopback only', () => {
    expect(context.get(CONTEXT_KEYS.baseUrl)).toContain(`\`${DEFAULT_GLEANTAP_BASE_URL}\``);
    expect(gleantap.get('GLEANTAP_BASE_URL')).toContain(`\`${DEFAULT_GLEANTAP_BASE_URL}\``);
    expect(gleantap.get('GLEANTAP_BASE_URL')?.join(' ')).toMatch(/https \(http only on loopback\)/);
  });

  it('states the app id rule', () => {
    expect(APP_ID_PATTERN.source).toBe('^[A-Za-z0-9_.-]{1,64}$');
    expect(gleantap.get('GLEANTAP_APP_IDS')?.join(' ')).toContain('1 to 64 letters, digits, `_` `.` or `-`');
  });
});
