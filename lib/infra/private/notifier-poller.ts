/**
 * The poller and what it reads: the Gleantap credentials secret, and the function with its
 * environment (every setting the runtime reads, from the checked props) and its grants (the
 * table, the key, the topics, the secret; nothing else).
 */
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../metric-names.ts';
import { sourceOrCompiled } from '../function-entry.ts';
import type { GleantapChangeNotifierProps } from '../gleantap-change-notifier-props.ts';
import { NotifierFunction } from '../notifier-function.ts';
import { acknowledge } from './accepted-findings.ts';
import type { NotifierSettings } from './notifier-settings.ts';

const POLLER_ENTRY = sourceOrCompiled(new URL('../../../functions/poller/handler.ts', import.meta.url));

/**
 * A new secret (id `Credentials`) with placeholder keys: the real keys are set with
 * put-secret-value after deploying, so they never pass through the template.
 */
export function createCredentials(scope: Construct): ISecret {
  // Same d.ts mismatch as the table's (Secret.secretFullArn): a sound widening.
  const secret = new Secret(scope, 'Credentials', {
    description:
      'Gleantap API keys for the notifier as {"apiKey":"...","secretKey":"..."}; replace the placeholders',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ apiKey: 'REPLACE_ME' }),
      generateStringKey: 'secretKey',
      excludePunctuation: true,
    },
  }) as ISecret;
  acknowledge(secret, 'AwsSolutions-SMG4', [
    'The secret holds API keys that Gleantap issues; Gleantap has no API to issue new ones,',
    'so a rotation function would have nothing to call. Rotate by creating new keys in',
    'Gleantap and writing them with put-secret-value.',
  ]);
  return secret;
}

/** What the poller is wired to. */
export interface PollerResources {
  readonly table: ITableV2;
  readonly key: IKey;
  readonly eventsTopic: ITopic;
  /** The opt-out alerts topic, with `digest` delivery. */
  readonly alertsTopic: ITopic | undefined;
  readonly credentials: ISecret;
}

/** The poller function (id `Poller`), its environment and its grants. */
export function createPoller(
  scope: Construct,
  props: GleantapChangeNotifierProps,
  settings: NotifierSettings,
  resources: PollerResources,
): NotifierFunction {
  const { table, key, eventsTopic, alertsTopic, credentials } = resources;
  const poller = new NotifierFunction(scope, 'Poller', {
    entry: POLLER_ENTRY,
    description: 'Polls Gleantap for changed customers and publishes them to SNS',
    timeout: settings.timeout,
    memorySize: props.memorySize ?? 512,
    ...(props.reservedConcurrency === undefined
      ? {}
      : { reservedConcurrentExecutions: props.reservedConcurrency }),
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    environment: {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...props.environment,
      GLEANTAP_BASE_URL: settings.baseUrl,
      GLEANTAP_CREDENTIALS_SECRET_ARN: credentials.secretArn,
      NOTIFIER_TABLE_NAME: table.tableName,
      EVENTS_TOPIC_ARN: eventsTopic.topicArn,
      ...(alertsTopic === undefined ? {} : { ALERTS_TOPIC_ARN: alertsTopic.topicArn }),
      NOTIFIER_LOOKBACK_DAYS: String(settings.lookbackDays),
      NOTIFIER_PAGE_SIZE: String(settings.pageSize),
      NOTIFIER_EMIT_BASELINE: String(props.emitBaseline ?? false),
      ...(props.watchedFields === undefined || props.watchedFields.length === 0
        ? {}
        : { NOTIFIER_WATCHED_FIELDS: props.watchedFields.join(',') }),
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    },
  });
  const fn = poller.function;
  table.grantReadWriteData(fn);
  // TableV2 grants the key only when it renders the encryption itself (see
  // table-encryption.ts): the key actions its grants give a reader and writer, less
  // ReEncrypt, which DynamoDB does not ask of a caller.
  key.grant(fn, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*');
  eventsTopic.grantPublish(fn);
  alertsTopic?.grantPublish(fn);
  acknowledge(poller.role, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', [
    'Added by topic.grantPublish for the KMS-encrypted events topic and scoped to that one key:',
    "SNS calls GenerateDataKey on the publisher's behalf to encrypt each message.",
  ]);
  acknowledge(fn, 'AwsSolutions-L1', [
    'Node.js 22 is the runtime the design fixes and the toolchain tests against;',
    'moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
  ]);
  credentials.grantRead(fn);
  // A failed poll is retried by the next scheduled one (the watermark stays where it was);
  // Lambda's own async retries would only hit a struggling API twice more.
  fn.configureAsyncInvoke({ retryAttempts: 0 });
  return poller;
}
