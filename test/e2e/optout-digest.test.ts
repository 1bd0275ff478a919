/**
 * Opt-out digests end to end: the real poll cycle against dynalite, the Gleantap simulator
 * and the SNS stand-in, with staff "mailboxes" subscribed to the alerts topic by `app_id`, as
 * the stack subscribes them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { DeliveredMessage } from '../../dev/sns-stand-in.ts';
import { OPTOUT_DIGEST_TYPE } from '../../lib/core/optout-digest.ts';
import { pollApp } from '../../lib/poll.ts';
import type { AlertPublisher } from '../../lib/ports.ts';
import { type Harness, runCliProcess, startHarness } from '../support/harness.ts';

const replayedEvent = z.object({ type: z.string(), subject: z.string() });

const A = 'studio-a';
const B = 'studio-b';

/** The customer ids a digest lists by name. */
function listed(text: string): string[] {
  return [...text.matchAll(/\(customer ([^)]+)\): opted/g)].map((m) => m[1] ?? '').sort();
}

/** Ids of `app` still subscribed to `channel` (the seeded population has some opted out already). */
function subscribed(h: Harness, app: string, ids: readonly string[], channel: 'email' | 'sms'): string[] {
  return ids.filter((id) => {
    const flag = h.stack.gleantap.app(app).get(id)?.[`${channel}_optout`];
    return !(flag === 1 || flag === '1' || flag === true);
  });
}

function digestId(message: DeliveredMessage): string | undefined {
  return message.attributes.digest_id?.StringValue;
}

describe('opt-out digests', () => {
  let h: Harness;
  const inbox = new Map<string, DeliveredMessage[]>();
  let ids: Record<string, string[]>;

  beforeEach(async () => {
    h = await startHarness({ appIds: [A, B], alerts: true });
    ids = {};
    for (const app of [A, B]) {
      ids[app] = h.stack.gleantap.app(app).seed(120, { seed: app === A ? 1 : 2 });
      const mailbox: DeliveredMessage[] = [];
      inbox.set(app, mailbox);
      h.stack.sns.subscribe(h.stack.alertsTopicArn, (m) => void mailbox.push(m), {
        protocol: 'email',
        filterPolicy: { app_id: [app] },
      });
      expect((await pollApp(h.deps(), h.options(app, { pageSize: 1000 }))).mode).toBe('baseline');
    }
  });
  afterEach(async () => {
    await h.close();
  });

  it('a poll with 40 opt-outs across two apps sends exactly one digest per app, each listing only its own customers', async () => {
    const out: Record<string, string[]> = {
      [A]: subscribed(h, A, ids[A] ?? [], 'email').slice(0, 25),
      [B]: subscribed(h, B, ids[B] ?? [], 'email').slice(10, 25),
    };
    expect((out[A] ?? []).length + (out[B] ?? []).length).toBe(40);
    for (const app of [A, B])
      for (const id of out[app] ?? []) h.stack.gleantap.app(app).setOptout(id, 'email', true);

    for (const app of [A, B]) {
      const summary = await pollApp(h.deps(), h.options(app, { pageSize: 1000 }));
      expect(summary).toMatchObject({ outcome: 'complete', optout_changed: (out[app] ?? []).length });
    }
    await h.stack.sns.settled();

    expect(h.stack.sns.messages(h.stack.alertsTopicArn)).toHaveLength(2);
    for (const app of [A, B]) {
      const mailbox = inbox.get(app) ?? [];
      expect(mailbox).toHaveLength(1);
      const [digest] = mailbox;
      expect(digest?.subject).toBe(`Gleantap: ${(out[app] ?? []).length} opt-outs at ${app}`);
      expect(digest?.attributes.type?.StringValue).toBe(OPTOUT_DIGEST_TYPE);
      // Only this app's customers: ids are numbers per app, so compare against the other app too.
      expect(listed(digest?.message ?? '')).toEqual([...(out[app] ?? [])].sort());
    }
    // The events topic still carries every event (an update and an opt-out per customer).
    expect(h.events().filter((e) => e.type === 'customer.optout_changed')).toHaveLength(40);

    // The command the digest gives for "the rest" exists and lists this app's opt-out events.
    const command = /npx gleantap-notifier (replay .*)$/m.exec(inbox.get(A)?.[0]?.message ?? '')?.[1];
    expect(command).toMatch(
      /^replay --app-id studio-a --since \S+ --type customer.optout_changed --dry-run$/,
    );
    const run = await runCliProcess(command?.split(' ') ?? [], h.stack.env);
    expect(run.code).toBe(0);
    const replayed = run.stdout
      .trim()
      .split('\n')
      .map((line) => replayedEvent.parse(JSON.parse(line)));
    expect(replayed.every((e) => e.type === 'customer.optout_changed')).toBe(true);
    expect(replayed.map((e) => e.subject).sort()).toEqual([...(out[A] ?? [])].sort());
  });

  it('a crash between publish and commit repeats the digest with the same id, never drops it', async () => {
    const out = subscribed(h, A, ids[A] ?? [], 'sms').slice(30, 40);
    for (const id of out) h.stack.gleantap.app(A).setOptout(id, 'sms', true);

    const crashing = await pollApp(
      h.deps(),
      h.options(A, {
        pageSize: 1000,
        leaseTtlMs: 1,
        onStep: (step) => {
          if (step === 'published') throw new Error('injected crash after publish, before commit');
        },
      }),
    );
    expect(crashing.outcome).toBe('failed');
    await h.stack.sns.settled();
    const first = inbox.get(A) ?? [];
    expect(first).toHaveLength(1);

    const recovery = await pollApp(h.deps(), h.options(A, { pageSize: 1000 }));
    expect(recovery.outcome).toBe('complete');
    await h.stack.sns.settled();
    const digests = inbox.get(A) ?? [];
    expect(digests).toHaveLength(2);
    expect(digestId(digests[1] as DeliveredMessage)).toBe(digestId(digests[0] as DeliveredMessage));
    expect(listed(digests[1]?.message ?? '')).toEqual([...out].sort());

    // Committed now: nothing more to say.
    await pollApp(h.deps(), h.options(A, { pageSize: 1000 }));
    await h.stack.sns.settled();
    expect(inbox.get(A)).toHaveLength(2);
    expect(inbox.get(B)).toHaveLength(0);
  });

  it('a digest the alerts topic refused is sent again by the next poll, with the same id', async () => {
    const out = subscribed(h, B, ids[B] ?? [], 'email').slice(0, 5);
    for (const id of out) h.stack.gleantap.app(B).setOptout(id, 'email', true);
    const alerts = h.alerts;
    if (alerts === undefined) throw new Error('the harness has no alerts publisher');
    let refusals = 0;
    const refusedIds: string[] = [];
    const refusing: AlertPublisher = {
      async publish(messages) {
        refusals++;
        refusedIds.push(...messages.map((m) => m.id));
        return {
          published: [],
          failed: messages.map((m) => ({ id: m.id, reason: 'Throttled: injected', permanent: false })),
        };
      },
    };

    const refused = await pollApp(h.deps({ alerts: refusing }), h.options(B, { pageSize: 1000 }));
    expect(refusals).toBe(1);
    // The watermark stays: the customers were not committed.
    expect(refused.outcome).toBe('failed');
    expect(inbox.get(B)).toHaveLength(0);

    const retried = await pollApp(h.deps(), h.options(B, { pageSize: 1000 }));
    expect(retried.outcome).toBe('complete');
    await h.stack.sns.settled();
    const [digest] = inbox.get(B) ?? [];
    expect(listed(digest?.message ?? '')).toEqual([...out].sort());
    expect(inbox.get(B)).toHaveLength(1);
    expect(refusedIds).toEqual([digestId(digest as DeliveredMessage)]);
  });
});
