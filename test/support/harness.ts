/**
 * A local stack plus the real adapters, for tests that drive the poll cycle in-process:
 * dynalite, the SNS stand-in and the Gleantap simulator on 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import type { GleantapSimulatorOptions } from '../../dev/gleantap-simulator.ts';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { createAwsClients } from '../../lib/adapters.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import { SnsPublisher } from '../../lib/aws/sns-publisher.ts';
import { loadConfig } from '../../lib/config.ts';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import type { GleantapNotifierEvent } from '../../lib/core/event-types.ts';
import { createGleantapClient, type GleantapClientOptions } from '../../lib/gleantap/client.ts';
import type { PollDependencies, PollOptions } from '../../lib/poll.ts';
import type { Log } from '../../lib/ports.ts';
import { startCliProcess } from './cli-process.ts';
import { assertPublishedContract, cloudEventText, contractProblems } from './event-contract.ts';
import type { NodeRun } from './node-process.ts';

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** A log that keeps every line, to assert on (and to check for PII). */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Harness {
  readonly stack: LocalStack;
  readonly store: DynamoStateStore;
  readonly publisher: SnsPublisher;
  /** The alerts topic's publisher, with `alerts: true` (then deps() passes it to the poll). */
  readonly alerts: SnsPublisher | undefined;
  deps(overrides?: Partial<PollDependencies>): PollDependencies;
  options(appId: string, overrides?: Partial<PollOptions>): PollOptions;
  /** Every CloudEvent the stand-in accepted, in order (the `default` text for opt-outs). */
  events(): GleantapNotifierEvent[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly appIds?: readonly string[];
  readonly simulator?: GleantapSimulatorOptions;
  readonly client?: Partial<GleantapClientOptions>;
  /** Create the alerts topic and send opt-out digests to it. @default false */
  readonly alerts?: boolean;
}

/**
 * Parses an SNS message body into the CloudEvent it carries.
 * @throws Error when the event breaks the contract (cloudevents SDK strict, our schemas).
 */
export function eventOf(message: string, structure?: string): GleantapNotifierEvent {
  const event = JSON.parse(cloudEventText(message, structure));
  const problems = contractProblems(event);
  if (problems.length > 0) throw new Error(`A published event breaks the contract: ${problems.join('; ')}`);
  return event;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const stack = await startLocalStack({
    appIds: options.appIds ?? ['gym-1'],
    simulator: options.simulator ?? {},
    alerts: options.alerts ?? false,
  });
  const loaded = loadConfig(stack.env, { table: true, topic: true, aws: true });
  if (!loaded.ok) throw new Error(loaded.problems.join(' '));
  const aws = createAwsClients(loaded.config, { env: {}, credentials: LOCAL_CREDENTIALS });
  const store = new DynamoStateStore({ client: aws.dynamodb, tableName: stack.tableName });
  const publisher = new SnsPublisher({ client: aws.sns, topicArn: stack.topicArn, sleep: async () => {} });
  const alerts = options.alerts
    ? new SnsPublisher({ client: aws.sns, topicArn: stack.alertsTopicArn, sleep: async () => {} })
    : undefined;
  const source = createGleantapClient({
    baseUrl: stack.gleantap.url,
    apiKey: stack.gleantap.apiKey,
    secretKey: stack.gleantap.secretKey,
    ...options.client,
  });
  return {
    stack,
    store,
    publisher,
    alerts,
    deps: (overrides = {}) => ({
      source,
      store,
      publisher,
      ...(alerts ? { alerts } : {}),
      log: silentLog,
      clock: () => new Date(),
      ...overrides,
    }),
    options: (appId, overrides = {}) => ({
      appId,
      owner: `test-${randomUUID()}`,
      lookbackDays: 1,
      pageSize: 100,
      watchedFields: DEFAULT_WATCHED_FIELDS,
      ...overrides,
    }),
    events: () => stack.sns.messages(stack.topicArn).map((m) => eventOf(m.message, m.messageStructure)),
    async close() {
      await source.close();
      aws.destroy();
      // The events topic carries the contract; the alerts topic carries plain-text digests.
      const published = stack.sns.messages(stack.topicArn);
      await stack.close();
      assertPublishedContract(published);
    },
  };
}

/** How a CLI child process ended, with everything it printed. */
export type CliRun = NodeRun;

/** Runs the CLI as a child process, exactly as an operator would (`node bin/gleantap-notifier.js`). */
export async function runCliProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
): Promise<CliRun> {
  const { child, done } = startCliProcess(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}
