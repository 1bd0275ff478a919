/**
 * Errors that say where: DynamoDB and SNS errors reworded to name the component (the table,
 * the topic, the endpoint), the cause and the fix, in one sentence. Added to each client as
 * middleware, so every command and the Lambda report alike. The error keeps its class, name
 * and metadata (only the message changes), so retry and condition handling still recognise it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';

/**
 * SNS error names that no retry can fix: the topic, the permission or the KMS key is missing
 * or refused. A publish that meets one stops the poll instead of retrying every message.
 */
export const PERMANENT_SNS_ERRORS: ReadonlySet<string> = new Set([
  'NotFound',
  'NotFoundException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'KMSAccessDenied',
  'KMSAccessDeniedException',
  'KMSDisabled',
  'KMSDisabledException',
  'KMSInvalidState',
  'KMSInvalidStateException',
  'KMSNotFound',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

/** True for an error of the SNS API that a retry cannot fix (see {@link PERMANENT_SNS_ERRORS}). */
export function isPermanentSnsError(error: unknown): boolean {
  return error instanceof Error && PERMANENT_SNS_ERRORS.has(error.name);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The system error code of a network failure, looking through `cause`s; undefined otherwise. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if ('code' in current && typeof current.code === 'string' && NETWORK_CODES.has(current.code)) {
      return current.code;
    }
    current = current.cause;
  }
  return undefined;
}

/** Where a client sends its requests, for messages: the configured endpoint or the AWS region. */
export interface ServiceTarget {
  /** The endpoint override (dynalite, the SNS stand-in), or null for AWS itself. */
  readonly endpoint: string | null;
  /** The variable that sets the endpoint, named in the fix. */
  readonly endpointVariable: string;
  /** The configured resource: the table name or the topic ARN. */
  readonly resource: string | null;
}

const MARK = Symbol.for('gleantap-notifier.explained');

function explained(error: Error, message: string): Error {
  if (MARK in error) return error;
  error.message = message;
  Object.defineProperty(error, MARK, { value: true });
  return error;
}

function unreachable(service: string, target: ServiceTarget, error: Error, code: string): Error {
  const where = target.endpoint ?? 'AWS';
  const fix = target.endpoint
    ? `start it, or point ${target.endpointVariable} at a running endpoint`
    : 'check the network and AWS_REGION';
  return explained(error, `${service} at ${where} is unreachable (${code}): ${fix}.`);
}

function credentialsProblem(service: string, error: Error): Error | undefined {
  if (
    error.name === 'UnrecognizedClientException' ||
    error.name === 'InvalidClientTokenId' ||
    error.name === 'CredentialsProviderError' ||
    error.name === 'ExpiredTokenException'
  ) {
    return explained(
      error,
      `${service} refused the AWS credentials (${error.name}: ${error.message}): check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and AWS_REGION.`,
    );
  }
  return undefined;
}

/** Rewords one DynamoDB error; errors the code handles itself (conditions) pass unchanged. */
export function explainDynamoError(error: unknown, target: ServiceTarget): unknown {
  if (!(error instanceof Error)) return error;
  const table = target.resource ? `DynamoDB table ${target.resource}` : 'DynamoDB';
  const code = networkErrorCode(error);
  if (code !== undefined) return unreachable('DynamoDB', target, error, code);
  if (error.name === 'ResourceNotFoundException') {
    return explained(
      error,
      `${table} does not exist${target.endpoint ? ` at ${target.endpoint}` : ''} (ResourceNotFoundException): run \`npx gleantap-notifier create-table\`, or check NOTIFIER_TABLE_NAME and AWS_REGION.`,
    );
  }
  if (error.name === 'AccessDeniedException') {
    return explained(
      error,
      `${table}: access denied (${error.message}): grant these credentials read and write on the table.`,
    );
  }
  return credentialsProblem(table, error) ?? error;
}

/** Rewords one SNS error. */
export function explainSnsError(error: unknown, target: ServiceTarget): unknown {
  if (!(error instanceof Error)) return error;
  const topic = target.resource ? `SNS topic ${target.resource}` : 'SNS';
  const code = networkErrorCode(error);
  if (code !== undefined) return unreachable('SNS', target, error, code);
  if (error.name === 'NotFound' || error.name === 'NotFoundException') {
    return explained(
      error,
      `${topic} does not exist (${error.name}): check EVENTS_TOPIC_ARN (the account and region are part of the ARN).`,
    );
  }
  if (error.name === 'AuthorizationError' || error.name === 'AuthorizationErrorException') {
    return explained(
      error,
      `${topic}: not allowed to publish (${error.name}: ${error.message}): grant sns:Publish on the topic to these credentials.`,
    );
  }
  if (error.name.startsWith('KMS')) {
    return explained(
      error,
      `${topic}: its KMS key refused the publish (${error.name}: ${error.message}): let the publisher use the topic's key (kms:GenerateDataKey*, kms:Decrypt), and check the key is enabled.`,
    );
  }
  return credentialsProblem(topic, error) ?? error;
}

/** The table a DynamoDB request names (`TableName`, or the first key of `RequestItems`). */
function tableOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  if ('TableName' in input && typeof input.TableName === 'string') return input.TableName;
  if ('RequestItems' in input && typeof input.RequestItems === 'object' && input.RequestItems !== null) {
    return Object.keys(input.RequestItems)[0];
  }
  return undefined;
}

/** The topic an SNS request names. */
function topicOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  return 'TopicArn' in input && typeof input.TopicArn === 'string' ? input.TopicArn : undefined;
}

/**
 * Rewords the DynamoDB client's errors. Must run before the client's first request (the
 * clients cache their middleware stacks).
 */
export function explainDynamoErrors(client: DynamoDBClient, target: ServiceTarget): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw explainDynamoError(error, { ...target, resource: tableOf(args.input) ?? target.resource });
      }
    },
    { step: 'initialize', name: 'gleantapExplainDynamoErrors' },
  );
}

/** Rewords the SNS client's errors; as {@link explainDynamoErrors}. */
export function explainSnsErrors(client: SNSClient, target: ServiceTarget): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw explainSnsError(error, { ...target, resource: topicOf(args.input) ?? target.resource });
      }
    },
    { step: 'initialize', name: 'gleantapExplainSnsErrors' },
  );
}
