import { describe, expect, it } from 'vitest';
import { parseQueuedTask, parseSqsPollEvent, pollBatch } from '../../functions/poller/sqs-batch.ts';
import { messageBodyOf, messageGroupOf } from '../../lib/aws/poll-queue.ts';

describe('poll queue messages', () => {
  it('round-trip the task the dispatcher sends, and a body without one is a poll', () => {
    const poll = { appId: 'gym', deduplicationId: 'gym#1', scheduledTime: '2026-03-02T00:00:00.000Z' };
    const reconcile = { ...poll, task: 'reconcile' as const, deduplicationId: 'gym#r#1' };
    expect(parseQueuedTask(messageBodyOf(poll))).toEqual({
      request: { appId: 'gym', task: 'poll', last: false },
      problem: null,
    });
    expect(parseQueuedTask(messageBodyOf(reconcile))).toEqual({
      request: { appId: 'gym', task: 'reconcile', last: false },
      problem: null,
    });
    expect(parseQueuedTask(messageBodyOf({ ...reconcile, last: true }))).toEqual({
      request: { appId: 'gym', task: 'reconcile', last: true },
      problem: null,
    });
    // A reconciliation must not hold the app's polls back: a message group of its own.
    expect(messageGroupOf(reconcile)).not.toBe(messageGroupOf(poll));
  });

  it.each([
    ['{"appId": "gym", "task": "purge"}', /task: /],
    ['{"task": "reconcile"}', /appId: /],
    ['{"appId": ""}', /appId: /],
    ['{"appId": 7}', /appId: /],
    ['{"appId": "gym", "task": "reconcile", "last": "yes"}', /last: /],
    ['[]', /body: /],
    ['not json', /not JSON/],
  ])('names what is wrong with the body %s', (body, problem) => {
    const parsed = parseQueuedTask(body);
    expect(parsed.request).toBeNull();
    expect(parsed.problem).toMatch(/^Bad input: /);
    expect(parsed.problem).toMatch(problem);
  });

  it('fails a bad record and every later one, so a FIFO queue loses and reorders nothing', async () => {
    const records = parseSqsPollEvent({
      Records: ['{"appId":"a"}', '{"appId":"b","task":"x"}', '{"appId":"c","task":"reconcile"}'].map(
        (body, i) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs' }),
      ),
    });
    const ran: string[] = [];
    const errors: string[] = [];
    const out = await pollBatch(
      records ?? [],
      async ({ appId, task }) => {
        ran.push(`${appId}:${task}`);
      },
      (messageId, error) => errors.push(`${messageId} ${error instanceof Error ? error.message : ''}`),
    );
    expect(ran).toEqual(['a:poll']);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^m1 Bad input: .*task: /);
  });
});
