/**
 * The embedded local default: dynalite (DynamoDB protocol), the SNS stand-in and the Gleantap
 * simulator on 127.0.0.1, with the state table and the events topic (and, when asked, the
 * alerts topic) created. `npm start`,
 * the end-to-end tests and the benchmarks all start it the same way.
 */
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import dynalite from 'dynalite';
import { createAwsClients } from '../lib/adapters.ts';
import { createStateTable } from '../lib/aws/create-table.ts';
import { loadConfig } from '../lib/config.ts';
import {
  type GleantapSimulator,
  type GleantapSimulatorOptions,
  startGleantapSimulator,
} from './gleantap-simulator.ts';
import { type SnsStandIn, type SnsStandInOptions, startSnsStandIn } from './sns-stand-in.ts';

/** The stand-ins accept any signature; these placeholders only satisfy the SDK. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalStackOptions {
  readonly appIds: readonly string[];
  readonly tableName?: string;
  readonly topicName?: string;
  readonly simulator?: GleantapSimulatorOptions;
  /** Options of the SNS stand-in, e.g. an SQS endpoint to deliver `sqs` subscriptions to. */
  readonly sns?: SnsStandInOptions;
  /** Create the table (false leaves it to a test of `create-table`). @default true */
  readonly createTable?: boolean;
  /**
   * Also create the staff alerts topic and set `ALERTS_TOPIC_ARN`, so polls send opt-out
   * digests. Off by default: a test that counts messages counts the events alone.
   * @default false
   */
  readonly alerts?: boolean;
}

export interface LocalStack {
  /** The environment the CLI and the handler read, pointing at the local servers. */
  readonly env: Readonly<Record<string, string>>;
  readonly dynamodbEndpoint: string;
  readonly sns: SnsStandIn;
  readonly gleantap: GleantapSimulator;
  readonly tableName: string;
  readonly topicArn: string;
  /** The alerts topic (created only with `alerts: true`, but its ARN is always this). */
  readonly alertsTopicArn: string;
  close(): Promise<void>;
}

/** Starts an in-memory dynalite on 127.0.0.1 (any free port). */
export async function startDynalite(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  // In memory (no path): nothing to clean up, and fast.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite did not bind a TCP port.');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts the three local servers and creates the table and topic. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'gleantap-notifier-local';
  const [db, sns, gleantap] = await Promise.all([
    startDynalite(),
    startSnsStandIn(options.sns ?? {}),
    startGleantapSimulator(options.simulator ?? {}),
  ]);
  const topicArn = sns.topicArn(options.topicName ?? 'gleantap-notifier-events');
  const alertsTopicName = 'gleantap-notifier-alerts';
  const alertsTopicArn = sns.topicArn(alertsTopicName);
  const env: Record<string, string> = {
    GLEANTAP_BASE_URL: gleantap.url,
    GLEANTAP_APP_IDS: options.appIds.join(','),
    GLEANTAP_API_KEY: gleantap.apiKey,
    GLEANTAP_SECRET_KEY: gleantap.secretKey,
    NOTIFIER_TABLE_NAME: tableName,
    EVENTS_TOPIC_ARN: topicArn,
    ...(options.alerts ? { ALERTS_TOPIC_ARN: alertsTopicArn } : {}),
    AWS_REGION: sns.region,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const config = loadConfig(env, { table: true, topic: true, aws: true });
  if (!config.ok) throw new Error(`Local stack configuration is invalid: ${config.problems.join(' ')}`);
  const aws = createAwsClients(config.config, { env: {}, credentials: LOCAL_CREDENTIALS });
  try {
    await aws.sns.send(new CreateTopicCommand({ Name: options.topicName ?? 'gleantap-notifier-events' }));
    if (options.alerts) await aws.sns.send(new CreateTopicCommand({ Name: alertsTopicName }));
    if (options.createTable ?? true) await createStateTable(aws.dynamodb, tableName);
  } finally {
    aws.destroy();
  }
  return {
    env,
    dynamodbEndpoint: db.endpoint,
    sns,
    gleantap,
    tableName,
    topicArn,
    alertsTopicArn,
    async close() {
      await Promise.all([gleantap.close(), sns.close(), db.close()]);
    },
  };
}
