/**
 * The child process of one simulated day (latency-sim.ts), bundled like poll-child.ts and
 * run with plain `node`. argv[2] is a {@link LatencyDayJob} as JSON; stdout gets one JSON
 * line: the day's result and the CPU the simulation took.
 */

import { loadConfig } from '../../lib/config.ts';
import { pollDeadline } from './handler-deadline.ts';
import type { LatencyDayJob } from './jobs.ts';
import { checkPagingModel, simulateDay } from './latency-sim.ts';

function parseJob(text: string | undefined): LatencyDayJob {
  if (text === undefined) throw new Error('latency-child: pass the job as JSON in argv[2]');
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || !('kind' in value) || value.kind !== 'latency-day')
    throw new Error('latency-child: expected a latency-day job');
  const number = (key: string): number => {
    const n: unknown = Reflect.get(value, key);
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw new Error(`latency-child: ${key} must be a number`);
    return n;
  };
  const costs: unknown = Reflect.get(value, 'costs');
  const cost = (key: string): number => {
    const n: unknown = typeof costs === 'object' && costs !== null ? Reflect.get(costs, key) : undefined;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
      throw new Error(`latency-child: costs.${key} must be a number >= 0`);
    return n;
  };
  const hours: unknown = Reflect.get(value, 'hours');
  const order: unknown = Reflect.get(value, 'order');
  if (order !== 'insertion' && order !== 'updated-asc' && order !== 'updated-desc')
    throw new Error('latency-child: order must be insertion, updated-asc or updated-desc');
  return {
    kind: 'latency-day',
    customers: number('customers'),
    dailyChurn: number('dailyChurn'),
    intervalMs: number('intervalMs'),
    timeoutMs: number('timeoutMs'),
    pageLatencyMs: number('pageLatencyMs'),
    seed: number('seed'),
    order,
    costs: {
      perPageMs: cost('perPageMs'),
      perChangedMs: cost('perChangedMs'),
      perStoreCallMs: cost('perStoreCallMs'),
    },
    ...(Array.isArray(hours) ? { hours: hours.filter((h): h is number => typeof h === 'number') } : {}),
  };
}

const job = parseJob(process.argv[2]);
// What a deployment polls with by default: the same config module the Lambda reads.
const defaults = loadConfig({});
if (!defaults.ok) throw new Error(`latency-child: ${defaults.problems.join(' ')}`);
const poll = {
  lookbackDays: defaults.config.lookbackDays,
  pageSize: defaults.config.pageSize,
  watchedFields: defaults.config.watchedFields,
};
const cpu0 = process.cpuUsage();
await checkPagingModel(poll, job.order);
const result = await simulateDay({ ...job, deadline: pollDeadline, poll });
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ job, cpuMs: (cpu.user + cpu.system) / 1000, result })}\n`);
