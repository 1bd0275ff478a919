/**
 * `npm start` / `gleantap-notifier local`: the whole pipeline on the embedded default.
 * Starts the local stack, records a baseline, then keeps changing the simulated population
 * and polling, printing each event as it is published, each opt-out digest as staff would
 * read it (one mail per app and poll page), and one summary line per poll. A subscriber
 * applies every event with the subscriber kit into a mirror, and each cycle ends with a line
 * saying whether the mirror equals the simulated Gleantap. Every third cycle a member is
 * deleted in Gleantap, and the cycle runs the two reconciliations (normally a day apart) that
 * announce it, so the mirror stays equal, deleted customers included. Runs until Ctrl-C, or
 * for `--cycles N` polls.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod/mini';
import { createAwsClients, createRunDependencies, resolveGleantapKeys } from '../lib/adapters.ts';
import type { LocalDemoOptions } from '../lib/cli/main.ts';
import { loadConfig, POLLER_NEEDS } from '../lib/config.ts';
import { type PollSummary, pollApp } from '../lib/poll.ts';
import { type ReconcileSummary, reconcileApp } from '../lib/reconcile.ts';
import { createDemoMirror, mirrorLine } from './demo-mirror.ts';
import type { SimulatedApp } from './gleantap-simulator.ts';
import { LOCAL_CREDENTIALS, startLocalStack } from './local-stack.ts';
import { seededRandom } from './seeded-random.ts';

const APP_ID = 'demo-studio';
/** The part of a CloudEvent the demo prints. */
const shownEvent = z.object({
  type: z.string(),
  subject: z.string(),
  data: z.object({ changed_fields: z.optional(z.array(z.string())) }),
});
const LOCATIONS = ['Downtown', 'Riverside', 'Uptown', 'Harbor', 'Midtown'];
const FIRST = ['Ava', 'Noah', 'Mia', 'Liam', 'Zoe', 'Ethan', 'Ivy', 'Leo'];
const LAST = ['Garcia', 'Okafor', 'Nguyen', 'Schmidt', 'Rossi', 'Kowalski', 'Haddad', 'Silva'];

/**
 * Members needed before the demo deletes one: a reconciliation that misses more than a tenth
 * of an app's customers deletes nobody (lib/core/reconcile.ts), so a tiny demo keeps them all.
 */
const MIN_MEMBERS_TO_DELETE = 20;

/**
 * Makes a handful of realistic changes; returns a one-line description of them and whether a
 * member was deleted. Every fourth cycle is the day after a campaign: several members opt out
 * at once, which staff read as one digest, not one mail each. Every third cycle a member is
 * deleted.
 */
function mutate(
  app: SimulatedApp,
  ids: string[],
  random: () => number,
  cycle: number,
): { readonly text: string; readonly deleted: boolean } {
  const pick = <T>(list: readonly T[]): T => {
    const item = list[Math.floor(random() * list.length)];
    if (item === undefined) throw new Error('empty list');
    return item;
  };
  const done: string[] = [];
  // Only a member the last poll saw: one created and deleted between two polls never existed for subscribers.
  const known = ids.length;
  const roll = random();
  if (roll < 0.5) {
    const first = pick(FIRST);
    const last = pick(LAST);
    ids.push(
      app.create({
        firstname: first,
        lastname: last,
        email: `${first}.${last}${Math.floor(random() * 1000)}@example.com`.toLowerCase(),
        phone: `+1555${String(Math.floor(random() * 10_000_000)).padStart(7, '0')}`,
        last_location: pick(LOCATIONS),
        email_optout: 0,
        sms_optout: 0,
      }),
    );
    done.push('1 new member');
  }
  const updates = 1 + Math.floor(random() * 3);
  for (let i = 0; i < updates; i++) {
    const id = pick(ids);
    if (random() < 0.5) app.update(id, { last_location: pick(LOCATIONS) });
    else app.update(id, { phone: `+1555${String(Math.floor(random() * 10_000_000)).padStart(7, '0')}` });
  }
  done.push(`${updates} profile edit(s)`);
  if (random() < 0.7) {
    const id = pick(ids);
    const channel = random() < 0.6 ? 'email' : 'sms';
    const current = app.get(id)?.[`${channel}_optout`];
    const optedOut = current === 1 || current === '1' || current === true;
    app.setOptout(id, channel, !optedOut);
    done.push(`1 ${channel} opt-${optedOut ? 'in' : 'out'}`);
  }
  if (cycle % 4 === 0) {
    const subscribed = ids.filter((id) => {
      const flag = app.get(id)?.email_optout;
      return !(flag === 1 || flag === '1' || flag === true);
    });
    const campaign = new Set<string>();
    for (let i = 3 + Math.floor(random() * 3); i > 0 && subscribed.length > 0; i--)
      campaign.add(pick(subscribed));
    for (const id of campaign) app.setOptout(id, 'email', true);
    done.push(`a campaign: ${campaign.size} email opt-out(s)`);
  }
  app.touch(pick(ids));
  done.push('1 touch without change');
  const deleted = cycle % 3 === 2 && known >= MIN_MEMBERS_TO_DELETE;
  if (deleted) {
    const [id] = ids.splice(Math.floor(random() * known), 1);
    if (id !== undefined) app.remove(id);
    done.push(`1 member deleted (${id})`);
  }
  return { text: done.join(', '), deleted };
}

function reconcileLine(summary: ReconcileSummary, note: string): string {
  return (
    `reconcile   ${summary.outcome.padEnd(10)} seen ${String(summary.seen).padStart(4)}  live ${summary.live}  ` +
    `missing ${summary.missing}  deleted ${summary.deleted}  (${note})\n`
  );
}

function summaryLine(summary: PollSummary): string {
  return (
    `poll ${summary.mode.padEnd(11)} ${summary.outcome.padEnd(8)} fetched ${String(summary.fetched).padStart(4)}  ` +
    `created ${summary.created}  updated ${summary.updated}  opt-out ${summary.optout_changed}  ` +
    `unchanged ${summary.unchanged}  published ${summary.published}  (${summary.durationMs} ms)\n`
  );
}

/** Runs the demo (the CLI's `local` in a clone); resolves with the CLI exit status. */
export async function runLocalDemo(options: LocalDemoOptions): Promise<number> {
  const { io, log } = options;
  const out = io.stdout;
  out(
    'Starting the embedded local default: Gleantap simulator, dynalite and the SNS stand-in on 127.0.0.1…\n',
  );
  const stack = await startLocalStack({ appIds: [APP_ID], alerts: true });
  const app = stack.gleantap.app(APP_ID);
  const ids = app.seed(options.customers, { seed: 7 });
  const random = seededRandom(42);

  // The baseline is published so that the subscriber's mirror starts complete; its
  // hundreds of customer.created events are counted, not printed.
  let baseline = true;
  const mirror = createDemoMirror();
  stack.sns.subscribe(stack.topicArn, (delivered) => mirror.apply(delivered.message));
  stack.sns.subscribe(stack.topicArn, (delivered) => {
    if (baseline) return;
    const event = shownEvent.parse(JSON.parse(delivered.message));
    // A deleted event lists every watched field (as created does, for field filters): noise here.
    const fields = event.type === 'customer.deleted' ? '' : (event.data.changed_fields?.join(', ') ?? '');
    out(`${`  → ${event.type.padEnd(24)} customer ${event.subject.padEnd(6)} ${fields}`.trimEnd()}\n`);
  });
  // What the deployed stack's staff subscription gets: this app's digests from the alerts topic.
  stack.sns.subscribe(
    stack.alertsTopicArn,
    (delivered) => {
      out(`\n  ✉ To: staff@demo-studio.example  Subject: ${delivered.subject ?? ''}\n`);
      for (const line of delivered.message.split('\n')) out(`  │ ${line}\n`);
      out('\n');
    },
    { protocol: 'email', filterPolicy: { app_id: [APP_ID] } },
  );

  // Wired as the deployed poller is, from the stack's environment (alerts topic included).
  const loaded = loadConfig(stack.env, POLLER_NEEDS);
  if (!loaded.ok) throw new Error(loaded.problems.join(' '));
  const config = loaded.config;
  const aws = createAwsClients(config, { env: {}, credentials: LOCAL_CREDENTIALS });
  const keys = await resolveGleantapKeys(config.credentials, APP_ID);
  const deps = createRunDependencies(config, { aws, keys, log, clock: () => new Date() });
  const { source } = deps;
  const reconcile = () =>
    reconcileApp(deps, { appId: APP_ID, owner: `local:${hostname()}:${process.pid}`, pageSize: 100 });
  const poll = () =>
    pollApp(deps, {
      appId: APP_ID,
      owner: `local:${hostname()}:${process.pid}`,
      lookbackDays: config.lookbackDays,
      pageSize: 100,
      watchedFields: config.watchedFields,
      emitBaseline: true,
    });

  let exit = 0;
  try {
    out(
      `Seeded ${ids.length} simulated members in app ${APP_ID}. Baseline (published for the subscriber, not printed):\n`,
    );
    out(summaryLine(await poll()));
    await stack.sns.settled();
    baseline = false;
    out(mirrorLine(mirror.compare(app.members())));
    for (let cycle = 1; options.cycles === undefined || cycle <= options.cycles; cycle++) {
      if (io.signal?.aborted) break;
      await sleep(options.intervalSeconds * 1000, undefined, io.signal ? { signal: io.signal } : {}).catch(
        () => undefined,
      );
      if (io.signal?.aborted) break;
      const changes = mutate(app, ids, random, cycle);
      out(`\nCycle ${cycle}: Gleantap sees ${changes.text}.\n`);
      const summary = await poll();
      await stack.sns.settled();
      out(summaryLine(summary));
      if (changes.deleted) {
        // Deployed, these are two daily runs: absence is weak evidence, so a customer is
        // announced deleted only when two complete full scans missed it.
        const first = await reconcile();
        await stack.sns.settled();
        out(reconcileLine(first, 'missing once: a suspect, nothing published'));
        const second = await reconcile();
        await stack.sns.settled();
        out(reconcileLine(second, "the next day's scan: missing twice, announced"));
        if (first.outcome !== 'conclusive' || second.outcome !== 'conclusive') exit = 1;
      }
      const comparison = mirror.compare(app.members());
      out(mirrorLine(comparison));
      if (summary.outcome === 'failed' || !comparison.equal) exit = 1;
    }
    out(options.cycles === undefined ? '\nStopped.\n' : '\nDone.\n');
  } finally {
    await source.close();
    aws.destroy();
    await stack.close();
  }
  return exit;
}
