import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCHED_FIELDS } from '../lib/core/content-hash.ts';
import { diffCustomer } from '../lib/core/diff.ts';
import { buildMessages } from '../lib/core/events.ts';
import { OPTOUT_DIGEST_TYPE } from '../lib/core/optout-digest.ts';
import type { Change, Customer, OutboundMessage } from '../lib/core/types.ts';
import { type PageDigestInput, publishPageDigest } from '../lib/page-digest.ts';
import type { AlertPublisher, PublishResult, TopicMessage } from '../lib/ports.ts';
import { customerFixture } from './support/customer-fixture.ts';
import { recordingLog } from './support/harness.ts';

const DETECTED = '2026-11-30T18:00:00.000Z';

/** A change from `customerFixture(id)` to `customerFixture(id, after)`. */
function change(id: string, after: Partial<Customer>): Change {
  const created = diffCustomer(undefined, customerFixture(id), DEFAULT_WATCHED_FIELDS);
  if (created.kind !== 'created') throw new Error('expected created');
  return diffCustomer(created.next, customerFixture(id, after), DEFAULT_WATCHED_FIELDS);
}

function page(changes: Change[], ready?: string[]): PageDigestInput {
  const messagesByCustomer = new Map<string, OutboundMessage[]>(
    changes.map((c) => [c.customer.id, buildMessages(c, { appId: 'gym-1', detectedAt: DETECTED })]),
  );
  return {
    appId: 'gym-1',
    changes,
    messagesByCustomer,
    ready: new Set(ready ?? changes.map((c) => c.customer.id)),
  };
}

function publisher(answer: (m: TopicMessage) => PublishResult): AlertPublisher & { sent: TopicMessage[] } {
  const sent: TopicMessage[] = [];
  return {
    sent,
    async publish(messages) {
      sent.push(...messages);
      const results = messages.map(answer);
      return { published: results.flatMap((r) => r.published), failed: results.flatMap((r) => r.failed) };
    },
  };
}

const accept = (m: TopicMessage): PublishResult => ({ published: [m.id], failed: [] });

describe('publishPageDigest', () => {
  const changes = [
    change('1', { email_optout: 1 }),
    change('2', { sms_optout: 1, phone: '+15550100' }),
    change('3', { last_location: 'Elsewhere' }),
  ];

  it('sends one plain-text digest of the ready opt-outs to the alerts topic', async () => {
    const alerts = publisher(accept);
    const result = await publishPageDigest(alerts, recordingLog(), page(changes, ['1', '3']));
    expect(result).toMatchObject({ sent: true, held: new Set() });
    expect(alerts.sent).toHaveLength(1);
    const [message] = alerts.sent;
    expect(message?.subject).toBe('Gleantap: 1 opt-out at gym-1');
    expect(message?.messageStructure).toBeUndefined();
    expect(message?.message).toContain('- First1 Last (customer 1): opted out of email');
    // Customer 2's events were not all accepted: it is re-detected, and listed then.
    expect(message?.message).not.toContain('customer 2');
    expect(message?.attributes).toMatchObject({
      type: { DataType: 'String', StringValue: OPTOUT_DIGEST_TYPE },
      app_id: { DataType: 'String', StringValue: 'gym-1' },
      digest_id: { DataType: 'String', StringValue: result.digest?.id },
    });
  });

  it('sends nothing for a page without opt-out changes', async () => {
    const alerts = publisher(accept);
    const result = await publishPageDigest(alerts, recordingLog(), page([changes[2] as Change]));
    expect(result).toEqual({ digest: null, sent: false, held: new Set() });
    expect(alerts.sent).toEqual([]);
  });

  it('holds back the opt-out customers (and only them) when the digest may go out on a retry', async () => {
    const alerts = publisher((m) => ({
      published: [],
      failed: [{ id: m.id, reason: 'Throttled', permanent: false }],
    }));
    const log = recordingLog();
    const result = await publishPageDigest(alerts, log, page(changes));
    expect(result.sent).toBe(false);
    expect([...result.held].sort()).toEqual(['1', '2']);
    expect(log.lines.some((l) => l.startsWith('warn') && l.includes('Throttled'))).toBe(true);
  });

  it('gives up on a digest SNS can never accept without holding the customers back', async () => {
    const alerts = publisher((m) => ({
      published: [],
      failed: [{ id: m.id, reason: 'InvalidParameter', permanent: true }],
    }));
    const log = recordingLog();
    const result = await publishPageDigest(alerts, log, page(changes));
    expect(result).toMatchObject({ sent: false, held: new Set() });
    expect(log.lines.some((l) => l.startsWith('error') && l.includes('InvalidParameter'))).toBe(true);
  });

  it('names no customer in its log lines', async () => {
    const log = recordingLog();
    await publishPageDigest(
      publisher((m) => ({ published: [], failed: [{ id: m.id, reason: 'x', permanent: false }] })),
      log,
      page(changes),
    );
    expect(log.lines.join('\n')).not.toMatch(/First1|@example\.com/);
  });
});
