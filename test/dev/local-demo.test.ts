import { describe, expect, it } from 'vitest';
import { createDemoMirror } from '../../dev/demo-mirror.ts';
import { runLocalDemo } from '../../dev/local-demo.ts';
import { LOCAL_NEEDS_A_CLONE, runCli } from '../../lib/cli/main.ts';
import { type FixtureMessage, historyMessages, member } from '../subscriber/event-fixtures.ts';
import { silentLog } from '../support/harness.ts';

describe('the demo subscriber mirror', () => {
  const [[created], [renamed]] = historyMessages('demo-studio', [
    member('1'),
    member('1', { lastname: 'Byron' }),
  ]) as [[FixtureMessage], [FixtureMessage]];

  it('equals the source once every change is applied, in whatever order it arrives', async () => {
    const mirror = createDemoMirror();
    for (const message of [renamed, created, renamed]) await mirror.apply(message.message);
    expect(mirror.compare([member('1', { lastname: 'Byron' })])).toMatchObject({
      equal: true,
      size: 1,
      dropped: 2,
    });
  });

  it('says which customers differ when a change is missing or one is unknown', async () => {
    const mirror = createDemoMirror();
    await mirror.apply(created.message);
    await mirror.apply('{"not":"an event"}');
    expect(mirror.compare([member('1', { lastname: 'Byron' }), member('2')])).toMatchObject({
      equal: false,
      differing: ['1', '2'],
      rejected: 1,
    });
  });

  it('ends every cycle of npm start with the mirror equal to the simulated Gleantap, a deleted member included', async () => {
    let stdout = '';
    const exit = await runLocalDemo({
      cycles: 3,
      intervalSeconds: 1,
      customers: 30,
      io: { env: {}, stdout: (text) => (stdout += text), stderr: () => {} },
      log: silentLog,
    });
    const lines = stdout.split('\n').filter((line) => line.startsWith('subscriber mirror:'));
    expect(exit, stdout).toBe(0);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toContain('equal to the simulated Gleantap');
    // Cycle 2 deletes a member; two reconciliations announce it before the mirror is compared.
    const deleted = /1 member deleted \((\w+)\)/.exec(stdout)?.[1];
    expect(deleted, stdout).toBeDefined();
    const cycle2 = stdout.slice(stdout.indexOf('Cycle 2:'), stdout.indexOf('Cycle 3:'));
    expect(cycle2).toMatch(/reconcile +conclusive .*missing 1 +deleted 0/);
    expect(cycle2).toMatch(new RegExp(`→ customer\\.deleted +customer ${deleted}\\n`));
    expect(cycle2).toMatch(/reconcile +conclusive .*missing 1 +deleted 1/);
    expect(cycle2).toMatch(/subscriber mirror: 30 customers, equal/);
  });

  it('is what the CLI runs as local in a clone; without it, local says it needs a clone', async () => {
    const io = (sink: string[]) => ({
      env: {},
      stdout: (text: string) => sink.push(text),
      stderr: (text: string) => sink.push(text),
    });
    const given: unknown[] = [];
    const cloned: string[] = [];
    const exit = await runCli(['local', '--cycles', '2', '--customers', '5'], io(cloned), {
      local: (options) => {
        given.push({
          cycles: options.cycles,
          interval: options.intervalSeconds,
          customers: options.customers,
        });
        return Promise.resolve(0);
      },
    });
    expect(exit).toBe(0);
    expect(given).toEqual([{ cycles: 2, interval: 3, customers: 5 }]);

    const installed: string[] = [];
    expect(await runCli(['local', '--cycles', '2'], io(installed))).toBe(2);
    expect(installed.join('')).toBe(`gleantap-notifier: ${LOCAL_NEEDS_A_CLONE}\n`);
  });
});
