/**
 * A Lambda handler for an SQS queue subscribed to the events topic: each record is parsed
 * and validated, put through the apply-once rule, and handed to the handler of its type;
 * failures are reported per record (partial batch responses, through Powertools Batch), so
 * one bad record is retried or dead-lettered alone.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  CustomerCreatedEvent,
  CustomerDeletedEvent,
  CustomerOptoutChangedEvent,
  CustomerUpdatedEvent,
  GleantapNotifierEvent,
} from '../core/event-types.ts';
import { type ApplyOnceStore, type ApplyOutcome, applyOnce } from './apply-once.ts';
import { createDynamoApplyOnceStore } from './dynamo-apply-once-store.ts';
import { parseEvent } from './parse-event.ts';

/** The part of an SQS record the handler reads (structurally an `SQSRecord` of `aws-lambda`). */
export interface SqsRecordLike {
  readonly messageId: string;
  readonly body: string;
  readonly eventSource: string;
  readonly [field: string]: unknown;
}

/** An SQS event as Lambda passes it. */
export interface SqsEventLike {
  readonly Records: readonly SqsRecordLike[];
}

/** The partial batch response Lambda reads when `ReportBatchItemFailures` is on. */
export interface SqsBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/** A handler may return anything; a throw or rejection fails the record (it is retried). */
export type EventHandler<E> = (event: E) => unknown;

/** Options of {@link createSqsHandler}. */
export interface SqsHandlerOptions {
  readonly onCreated: EventHandler<CustomerCreatedEvent>;
  readonly onUpdated: EventHandler<CustomerUpdatedEvent>;
  readonly onOptoutChanged: EventHandler<CustomerOptoutChangedEvent>;
  /**
   * A customer Gleantap no longer returns (see the README, Deleted customers): remove it from
   * your copy. The kit keeps its sequence, so a late update stays stale and a return arrives
   * as `onCreated` with a higher one.
   */
  readonly onDeleted: EventHandler<CustomerDeletedEvent>;
  /**
   * Where the apply-once state lives.
   * @default a DynamoDB store on the table named by `GLEANTAP_SUBSCRIBER_TABLE_NAME`
   *   (the variable `addSubscriberFunction` sets)
   */
  readonly store?: ApplyOnceStore;
  /**
   * Process a batch's records one after another (true) or all at once (false). In order,
   * two events of one customer in a batch never contend for the same claim.
   * @default true
   */
  readonly inOrder?: boolean;
  /** Told what happened to each record that was parsed (applied, duplicate, stale). */
  readonly onOutcome?: (outcome: ApplyOutcome, event: GleantapNotifierEvent) => void;
}

/** The environment variable that names the apply-once table in a deployed subscriber. */
export const SUBSCRIBER_TABLE_ENV = 'GLEANTAP_SUBSCRIBER_TABLE_NAME';

const defaultStore = (): ApplyOnceStore => {
  const tableName = process.env[SUBSCRIBER_TABLE_ENV];
  if (tableName === undefined || tableName === '') {
    throw new Error(
      `createSqsHandler: pass a store, or set ${SUBSCRIBER_TABLE_ENV} to the apply-once table's name`,
    );
  }
  return createDynamoApplyOnceStore({ client: new DynamoDBClient({}), tableName });
};

/** Hands an event to the handler of its type. @throws Error for a type without a handler */
export const dispatchEvent = (options: SqsHandlerOptions, event: GleantapNotifierEvent): unknown => {
  const type: string = event.type;
  switch (event.type) {
    case 'customer.created':
      return options.onCreated(event);
    case 'customer.updated':
      return options.onUpdated(event);
    case 'customer.optout_changed':
      return options.onOptoutChanged(event);
    case 'customer.deleted':
      return options.onDeleted(event);
    default:
      throw new Error(`no handler for event type ${JSON.stringify(type)}`);
  }
};

/**
 * Creates the Lambda handler. A record fails (and is retried, then dead-lettered) when it
 * is not one of our events, when its handler throws, or when another consumer is applying
 * an event of the same customer; a duplicate or stale event succeeds without its handler.
 * @throws Error at creation when no store is given and the table variable is not set
 */
export const createSqsHandler = (
  options: SqsHandlerOptions,
): ((event: SqsEventLike) => Promise<SqsBatchResponse>) => {
  const store = options.store ?? defaultStore();
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SqsRecordLike): Promise<void> => {
    const event = parseEvent(record);
    const outcome = await applyOnce(store, event, (parsed) => dispatchEvent(options, parsed));
    options.onOutcome?.(outcome, event);
  };
  return (event) =>
    processPartialResponse({ Records: [...event.Records] }, handleRecord, processor, {
      throwOnFullBatchFailure: false,
      processInParallel: options.inOrder === false,
    });
};
