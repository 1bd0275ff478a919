/**
 * A local stack wired for fault injection, shared by the reliability suite and the soak
 * script: dynalite, the SNS stand-in and the Gleantap simulator, with the real adapters on top,
 * a Gleantap client with short timeouts and no real sleeping, and DynamoDB faults injected at
 * the SDK client.
 *
 * dynalite cannot throttle, so DynamoDB throttling is injected with SDK middleware on the
 * DynamoDBClient the DynamoStateStore uses (`client.middlewareStack.add`): a
 * ProvisionedThroughputExceededException thrown inside the SDK's retry loop (the SDK retries
 * it, as it would a real throttle) or outside it (a throttle that outlasted the SDK's
 * retries), UnprocessedKeys returned for part of a BatchGetItem (the store retries those), and
 * conditional conflicts made by a second writer (a second, uninstrumented client) that
 * commits other, newer content for the customer just before the poll's conditional PutItem.
 */
import {
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import { SnsPublisher } from '../../lib/aws/sns-publisher.ts';
import { createGleantapClient, type GleantapClient } from '../../lib/gleantap/client.ts';
import type { PollDependencies } from '../../lib/poll.ts';
import type { Log } from '../../lib/ports.ts';
import { assertPublishedContract } from './event-contract.ts';
import { eventOf, silentLog } from './harness.ts';

/** Which DynamoDB calls a throttle may hit. */
export type DynamoCall = 'lease' | 'checkpoint' | 'end' | 'read' | 'commit' | 'batch-write';

/** Observed (not just scheduled) DynamoDB faults. */
export interface DynamoFaultCounts {
  throttleRetried: number;
  throttleOutlasting: number;
  unprocessedKeys: number;
  conflicts: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function classify(commandName: string, input: unknown): DynamoCall | undefined {
  switch (commandName) {
    case 'BatchGetItemCommand':
      return 'read';
    case 'PutItemCommand':
      return 'commit';
    case 'BatchWriteItemCommand':
      return 'batch-write';
    case 'UpdateItemCommand': {
      const expression = isRecord(input) ? String(input.UpdateExpression ?? '') : '';
      if (expression.includes('lastPoll')) return 'end';
      if (expression.includes('checkpoint')) return 'checkpoint';
      return 'lease';
    }
    default:
      return undefined;
  }
}

/** Schedules DynamoDB faults; each counter is the number of calls still to hit. */
export class DynamoFaults {
  /** Throttles the SDK retries (thrown inside its retry loop). */
  throttleRetried = 0;
  /** Throttles that outlast the SDK's retries (thrown before its retry loop). */
  throttleOutlasting = 0;
  /** The calls a throttle may hit. */
  throttleCalls: ReadonlySet<DynamoCall> = new Set(['read', 'commit', 'batch-write', 'checkpoint']);
  /** BatchGetItem calls that leave part of their keys unprocessed. */
  unprocessedKeys = 0;
  /** Conditional snapshot PutItems that find other, newer content written behind their back. */
  conflicts = 0;
  readonly fired: DynamoFaultCounts = {
    throttleRetried: 0,
    throttleOutlasting: 0,
    unprocessedKeys: 0,
    conflicts: 0,
  };

  clear(): void {
    this.throttleRetried = 0;
    this.throttleOutlasting = 0;
    this.unprocessedKeys = 0;
    this.conflicts = 0;
  }

  /** Adds the fault middleware to `client`; `sideClient` writes behind the poll's back. */
  install(client: DynamoDBClient, sideClient: DynamoDBClient): void {
    const throttle = () =>
      new ProvisionedThroughputExceededException({
        message: 'Injected by the reliability suite: throughput exceeded.',
        $metadata: {},
      });
    // Before the retry middleware: what reaches the store is a throttle the SDK gave up on.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const call = classify(context.commandName ?? '', args.input);
        if (call && this.throttleOutlasting > 0 && this.throttleCalls.has(call)) {
          this.throttleOutlasting--;
          this.fired.throttleOutlasting++;
          throw throttle();
        }
        if (call === 'read' && this.unprocessedKeys > 0) {
          const input = args.input as BatchGetItemCommandInput;
          const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
          const keys = request?.Keys ?? [];
          if (table && request && keys.length > 1) {
            this.unprocessedKeys--;
            this.fired.unprocessedKeys++;
            const cut = Math.ceil(keys.length / 2);
            const sent = { ...input, RequestItems: { [table]: { ...request, Keys: keys.slice(0, cut) } } };
            const out = await next({ ...args, input: sent });
            const output = out.output as BatchGetItemCommandOutput;
            const left = [...(output.UnprocessedKeys?.[table]?.Keys ?? []), ...keys.slice(cut)];
            output.UnprocessedKeys = { [table]: { ...request, Keys: left } };
            return out;
          }
        }
        if (call === 'commit' && this.conflicts > 0) {
          const input = args.input as PutItemCommandInput;
          if (input.ConditionExpression !== undefined && input.Item) {
            this.conflicts--;
            this.fired.conflicts++;
            // A second writer commits other, newer content just before this poll's commit:
            // a version above the one about to be written, with a hash and fields of its own.
            const version = Number(input.Item.v?.N ?? '1') + 1;
            const fields: unknown = JSON.parse(input.Item.f?.S ?? '{}');
            const other = {
              ...(typeof fields === 'object' && fields !== null ? fields : {}),
              last_location: `second writer ${version}`,
            };
            await sideClient.send(
              new PutItemCommand({
                TableName: input.TableName,
                Item: {
                  ...input.Item,
                  v: { N: String(version) },
                  h: { S: `second-writer-${this.fired.conflicts}` },
                  f: { S: JSON.stringify(other) },
                },
              }),
            );
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'reliabilityFaultsOutsideRetries' },
    );
    // In the deserialize step, inside the retry loop: the SDK's own retry handles these.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const call = classify(context.commandName ?? '', (args as { input?: UpdateItemCommandInput }).input);
        if (call && this.throttleRetried > 0 && this.throttleCalls.has(call)) {
          this.throttleRetried--;
          this.fired.throttleRetried++;
          throw throttle();
        }
        return next(args);
      },
      { step: 'deserialize', name: 'reliabilityFaultsInsideRetries' },
    );
  }
}

/** Observed SNS faults, counted at the SDK client. */
export interface SnsFaultCounts {
  failedCalls: number;
  failedEntries: number;
  /** Failed entries SNS reported as the sender's fault (not retried). */
  senderFaultEntries: number;
  /** Customers (event subjects) with an entry SNS refused as the sender's fault. */
  readonly refusedSubjects: Set<string>;
}

export interface FaultStack {
  readonly stack: LocalStack;
  readonly store: DynamoStateStore;
  readonly publisher: SnsPublisher;
  readonly source: GleantapClient;
  readonly dynamo: DynamoFaults;
  readonly sns: SnsFaultCounts;
  /** The uninstrumented DynamoDB client (for reading state without faults). */
  readonly plainStore: DynamoStateStore;
  deps(overrides?: Partial<PollDependencies> & { log?: Log }): PollDependencies;
  close(): Promise<void>;
}

export interface FaultStackOptions {
  /** Attempts per Gleantap page (the client's retry budget). @default 3 */
  readonly gleantapAttempts?: number;
  /** Header and body timeout of the Gleantap client, so a hang costs this long. @default 250 */
  readonly gleantapTimeoutMs?: number;
  /** Rounds of re-sending failed SNS entries. @default 2 */
  readonly snsRetries?: number;
}

const noSleep = async () => {};

/** Starts the stand-ins and the instrumented adapters. One per test file; use a fresh app id per run. */
export async function startFaultStack(options: FaultStackOptions = {}): Promise<FaultStack> {
  const stack = await startLocalStack({ appIds: ['reliability'] });
  const common = { region: stack.sns.region, credentials: LOCAL_CREDENTIALS };
  // maxAttempts 3: the SDK retries a throttle itself, as the deployed clients (maxAttempts 5) do.
  const dynamodb = new DynamoDBClient({ ...common, endpoint: stack.dynamodbEndpoint, maxAttempts: 3 });
  const side = new DynamoDBClient({ ...common, endpoint: stack.dynamodbEndpoint });
  // maxAttempts 1: the publisher's own bounded retries (with a no-op sleep) handle a failed call,
  // which keeps a 500 cheap; the SDK's retry of 5xx is the SDK's to test.
  const snsClient = new SNSClient({ ...common, endpoint: stack.sns.endpoint, maxAttempts: 1 });
  const dynamo = new DynamoFaults();
  dynamo.install(dynamodb, side);
  const sns: SnsFaultCounts = {
    failedCalls: 0,
    failedEntries: 0,
    senderFaultEntries: 0,
    refusedSubjects: new Set(),
  };
  snsClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PublishBatchCommand') return next(args);
      try {
        const out = await next(args);
        const output = out.output as { Failed?: { Id?: string; SenderFault?: boolean }[] };
        const input = args.input as PublishBatchCommandInput;
        sns.failedEntries += output.Failed?.length ?? 0;
        for (const failed of output.Failed ?? []) {
          if (failed.SenderFault !== true) continue;
          sns.senderFaultEntries++;
          const entry = input.PublishBatchRequestEntries?.find((e) => e.Id === failed.Id);
          if (entry?.Message === undefined) continue;
          sns.refusedSubjects.add(eventOf(entry.Message, entry.MessageStructure).subject);
        }
        return out;
      } catch (error) {
        sns.failedCalls++;
        throw error;
      }
    },
    { step: 'initialize', name: 'reliabilitySnsObserver' },
  );
  const store = new DynamoStateStore({ client: dynamodb, tableName: stack.tableName, sleep: noSleep });
  const plainStore = new DynamoStateStore({ client: side, tableName: stack.tableName });
  const publisher = new SnsPublisher({
    client: snsClient,
    topicArn: stack.topicArn,
    sleep: noSleep,
    maxRetries: options.snsRetries ?? 2,
  });
  const timeout = options.gleantapTimeoutMs ?? 250;
  const source = createGleantapClient({
    baseUrl: stack.gleantap.url,
    apiKey: stack.gleantap.apiKey,
    secretKey: stack.gleantap.secretKey,
    headersTimeoutMs: timeout,
    bodyTimeoutMs: timeout,
    retry: { maxAttempts: options.gleantapAttempts ?? 3, minDelayMs: 1, maxDelayMs: 5 },
    sleep: noSleep,
  });
  return {
    stack,
    store,
    publisher,
    source,
    dynamo,
    sns,
    plainStore,
    deps: (overrides = {}) => ({
      source,
      store,
      publisher,
      log: silentLog,
      clock: () => new Date(),
      ...overrides,
    }),
    async close() {
      await source.close();
      dynamodb.destroy();
      side.destroy();
      snsClient.destroy();
      const published = stack.sns.messages();
      await stack.close();
      assertPublishedContract(published);
    },
  };
}
