/**
 * Builds the adapters behind the ports from validated configuration. Shared by the
 * composition roots (the Lambda handler, the CLI, and the local demo in dev/), so all of them
 * talk to AWS and Gleantap the same way: createRunDependencies wires one run of one app.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { DynamoReconcileStore } from './aws/dynamo-reconcile-store.ts';
import { DynamoStateStore } from './aws/dynamo-state-store.ts';
import { explainDynamoErrors, explainSnsErrors } from './aws/service-errors.ts';
import { SnsPublisher } from './aws/sns-publisher.ts';
import {
  type Environment,
  type GleantapCredentialsSource,
  isLoopback,
  type NotifierConfig,
} from './config.ts';
import { emptyStateStore, refusingPublisher } from './dry-run-adapters.ts';
import { createGleantapClient, type GleantapClient } from './gleantap/client.ts';
import type { PollDependencies } from './poll.ts';
import type { Log } from './ports.ts';
import type { ReconcileStore } from './reconcile-ports.ts';

export interface GleantapKeys {
  readonly apiKey: string;
  readonly secretKey: string;
}

const keysSchema = z.object({
  apiKey: z.string().check(z.minLength(1)),
  secretKey: z.string().check(z.minLength(1)),
});

/**
 * The secret's JSON shape in Secrets Manager: default keys, keys per app, or both.
 * `{"apiKey": "...", "secretKey": "...", "apps": {"<app id>": {"apiKey": "...", "secretKey": "..."}}}`;
 * an app listed under `apps` uses its own keys, every other app the default ones.
 */
export const credentialsSecretSchema = z.object({
  apiKey: z.optional(z.string().check(z.minLength(1))),
  secretKey: z.optional(z.string().check(z.minLength(1))),
  apps: z.optional(z.record(z.string(), keysSchema)),
});

/** The Gleantap keys a deployment holds: a default pair and pairs per app. */
export interface GleantapKeyring {
  /** Where the keys came from, for messages (a secret ARN, or the environment). */
  readonly origin: string;
  readonly defaultKeys: GleantapKeys | null;
  readonly apps: ReadonlyMap<string, GleantapKeys>;
}

/**
 * The keys for one app: its own pair when the keyring has one, else the default pair.
 *
 * @throws Error naming the app and the secret when there is neither.
 */
export function keysForApp(keyring: GleantapKeyring, appId: string): GleantapKeys {
  const keys = keyring.apps.get(appId) ?? keyring.defaultKeys;
  if (keys === null) {
    throw new Error(
      `${keyring.origin} has no Gleantap keys for app ${appId} and no default: add "apps": {"${appId}": {"apiKey": "...", "secretKey": "..."}} or a default apiKey/secretKey.`,
    );
  }
  return keys;
}

type StaticCredentials = {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
};

/**
 * The credentials to give the SDK clients, decided from the caller's environment (not the
 * process's, so tests and the handler see the same rules): explicit ones win; then the
 * environment's access keys; then, when every configured AWS endpoint is on loopback (dynalite,
 * the SNS stand-in, which accept any signature), placeholders; otherwise the SDK's own chain.
 */
export function chooseCredentials(
  config: NotifierConfig,
  options: AwsClientOptions,
): StaticCredentials | undefined {
  if (options.credentials) return options.credentials;
  const env = options.env;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  const endpoints = [config.dynamodbEndpoint, config.snsEndpoint].filter((e): e is string => e !== null);
  const local = endpoints.length > 0 && endpoints.every(isLoopback);
  if (local && !env.AWS_PROFILE) return { accessKeyId: 'local', secretAccessKey: 'local' };
  return undefined;
}

export interface AwsClientOptions {
  /** The environment of the composition root (process.env in the CLI and the Lambda). */
  readonly env: Environment;
  /** Explicit credentials (the local stack's placeholders). */
  readonly credentials?: StaticCredentials;
}

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  destroy(): void;
}

/** DynamoDB and SNS clients for the configured region and endpoints. */
export function createAwsClients(config: NotifierConfig, options: AwsClientOptions): AwsClients {
  const credentials = chooseCredentials(config, options);
  const common = {
    region: config.region ?? 'us-east-1',
    maxAttempts: 5,
    // Resolve each command's middleware stack once, not on every send, which costs CPU on every
    // request (`npm run bench` measures the SDK's share of a poll: figure
    // `cpu_10k_floor_with_hash_reads_vs_floor`). Middleware must then be added before the first
    // request (the tests' fault injection does so).
    cacheMiddleware: true,
    ...(credentials ? { credentials } : {}),
  };
  const dynamodb = new DynamoDBClient({
    ...common,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
  });
  // SNS only accepts a topic's requests in the topic's own region: take it from the ARN.
  const topicRegion = config.topicArn?.split(':')[3];
  const sns = new SNSClient({
    ...common,
    ...(topicRegion ? { region: topicRegion } : {}),
    ...(config.snsEndpoint ? { endpoint: config.snsEndpoint } : {}),
  });
  // Errors that name the table or topic, the cause and the fix (added before any request).
  explainDynamoErrors(dynamodb, {
    endpoint: config.dynamodbEndpoint,
    endpointVariable: 'AWS_ENDPOINT_URL_DYNAMODB',
    resource: config.tableName,
  });
  explainSnsErrors(sns, {
    endpoint: config.snsEndpoint,
    endpointVariable: 'AWS_ENDPOINT_URL_SNS',
    resource: config.topicArn,
  });
  return {
    dynamodb,
    sns,
    destroy() {
      dynamodb.destroy();
      sns.destroy();
    },
  };
}

/** How to read the credentials secret: Powertools Parameters caches it for `maxAgeSeconds`. */
export interface SecretReading {
  /** The provider (one per process, so its cache outlives an invocation); a new one if absent. */
  readonly provider?: SecretsProvider;
  /** How long a read value is reused before Secrets Manager is asked again (0: every time). */
  readonly maxAgeSeconds?: number;
}

/**
 * The Gleantap keys: straight from configuration locally, or read from Secrets Manager when
 * deployed (a default pair and pairs per app, so one studio's keys never serve another's
 * polls), through Powertools Parameters' cache. Errors name the secret by ARN, never its content.
 *
 * @throws Error when the secret cannot be read or does not have the shape of
 *   {@link credentialsSecretSchema} with at least one complete pair.
 */
export async function resolveGleantapKeyring(
  source: GleantapCredentialsSource,
  reading: SecretReading = {},
): Promise<GleantapKeyring> {
  if (source.kind === 'keys') {
    return {
      origin: 'The environment',
      defaultKeys: { apiKey: source.apiKey, secretKey: source.secretKey },
      apps: new Map(),
    };
  }
  const shape =
    '{"apiKey": "...", "secretKey": "..."} (the default keys) and/or "apps": {"<app id>": {"apiKey": "...", "secretKey": "..."}}';
  const provider = reading.provider ?? new SecretsProvider();
  let text: unknown;
  try {
    const maxAge = reading.maxAgeSeconds ?? 0;
    text = await provider.get(source.secretArn, { maxAge, forceFetch: maxAge === 0 });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new Error(
      `Secrets Manager: secret ${source.secretArn} could not be read (${why}). Check that it exists in this region and that the function's role may call secretsmanager:GetSecretValue on it.`,
      { cause: error },
    );
  }
  if (typeof text !== 'string') {
    throw new Error(`Secret ${source.secretArn} has no string value: store ${shape}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`Secret ${source.secretArn} is not JSON: store ${shape}.`);
  }
  const parsed = credentialsSecretSchema.safeParse(value);
  const data = parsed.success ? parsed.data : null;
  const halfDefault = data !== null && (data.apiKey === undefined) !== (data.secretKey === undefined);
  const apps = new Map(Object.entries(data?.apps ?? {}));
  const defaultKeys =
    data?.apiKey !== undefined && data.secretKey !== undefined
      ? { apiKey: data.apiKey, secretKey: data.secretKey }
      : null;
  if (data === null || halfDefault || (defaultKeys === null && apps.size === 0)) {
    throw new Error(`Secret ${source.secretArn} must hold ${shape}, every value non-empty.`);
  }
  return { origin: `Secret ${source.secretArn}`, defaultKeys, apps };
}

/**
 * The keys for one app (or the default keys), as {@link resolveGleantapKeyring} and
 * {@link keysForApp} find them.
 */
export async function resolveGleantapKeys(
  source: GleantapCredentialsSource,
  appId?: string,
  reading?: SecretReading,
): Promise<GleantapKeys> {
  const keyring = await resolveGleantapKeyring(source, reading);
  return keysForApp(keyring, appId ?? '');
}

/** The settings a run's adapters are built from (a {@link NotifierConfig} has them). */
export type RunSettings = Pick<
  NotifierConfig,
  'gleantapBaseUrl' | 'tableName' | 'topicArn' | 'alertsTopicArn'
>;

/** What a composition root brings to one run besides its settings. */
export interface RunWiring {
  /** Null where no AWS service is configured (a CLI dry run without NOTIFIER_TABLE_NAME). */
  readonly aws: AwsClients | null;
  /** The app's Gleantap keys ({@link keysForApp}). */
  readonly keys: GleantapKeys;
  /** Publishes nothing: the events publisher refuses, no alerts publisher. */
  readonly dryRun?: boolean;
  readonly log: Log;
  readonly clock: () => Date;
}

/** What a poll of one app runs on; the caller closes `source` when the run is over. */
export interface RunDependencies extends PollDependencies {
  readonly source: GleantapClient;
}

/** With a table: also what a reconciliation of the app records its scans in. */
export interface StoredRunDependencies extends RunDependencies {
  readonly reconcileStore: ReconcileStore;
}

/**
 * Wires one run (a poll or a reconciliation) of one app: the Gleantap client with the app's
 * keys, the state store, the events publisher and, where an alerts topic is configured, the
 * alerts publisher; with a table, the reconciliation's store too. The one place that decides:
 * no table, an empty store that refuses writes; no topic or a dry run, a publisher that
 * refuses and no alerts.
 */
export function createRunDependencies(
  settings: RunSettings & { readonly tableName: string },
  wiring: RunWiring & { readonly aws: AwsClients },
): StoredRunDependencies;
export function createRunDependencies(settings: RunSettings, wiring: RunWiring): RunDependencies;
export function createRunDependencies(
  settings: RunSettings,
  wiring: RunWiring,
): RunDependencies | StoredRunDependencies {
  const { aws, dryRun = false } = wiring;
  const publisherTo = (topicArn: string | null) =>
    aws !== null && topicArn !== null && !dryRun
      ? new SnsPublisher({ client: aws.sns, topicArn })
      : undefined;
  const alerts = publisherTo(settings.alertsTopicArn);
  const run: RunDependencies = {
    source: createGleantapClient({ baseUrl: settings.gleantapBaseUrl, ...wiring.keys }),
    store:
      aws !== null && settings.tableName !== null
        ? new DynamoStateStore({ client: aws.dynamodb, tableName: settings.tableName })
        : emptyStateStore,
    publisher: publisherTo(settings.topicArn) ?? refusingPublisher,
    ...(alerts === undefined ? {} : { alerts }),
    log: wiring.log,
    clock: wiring.clock,
  };
  if (aws === null || settings.tableName === null) return run;
  return {
    ...run,
    reconcileStore: new DynamoReconcileStore({ client: aws.dynamodb, tableName: settings.tableName }),
  };
}
