/**
 * The subscriber kit (`gleantap-notifier/subscriber`): parse and validate what SNS, SQS or
 * an HTTPS subscription hands you, verify SNS's signatures, apply each change once and in
 * order, and a ready Lambda handler for an SQS queue with partial batch responses.
 */
export type {
  CustomerCreatedEvent,
  CustomerOptoutChangedEvent,
  CustomerUpdatedEvent,
  GleantapNotifierEvent,
} from '../core/event-types.ts';
export {
  type ApplyOnceStore,
  type ApplyOutcome,
  applyOnce,
  type Claim,
  ClaimBusyError,
  ClaimLostError,
  type ClaimVerdict,
  type EventKey,
  eventKey,
  normaliseSequence,
} from './apply-once.ts';
export {
  createApplyOnceTable,
  createDynamoApplyOnceStore,
  type DynamoApplyOnceStoreOptions,
  SUBSCRIBER_TABLE_KEY,
} from './dynamo-apply-once-store.ts';
export { checkEventSchema, knownEventTypes, type SchemaVerdict } from './event-validator.ts';
export { createMemoryApplyOnceStore, type MemoryApplyOnceStoreOptions } from './memory-apply-once-store.ts';
export {
  type EventCarrier,
  EventParseError,
  type EventParseErrorCode,
  type ParseEventResult,
  parseEvent,
  safeParseEvent,
} from './parse-event.ts';
export {
  type CertificateFetcher,
  confirmSubscription,
  createSnsVerifier,
  isSnsCertificateUrl,
  isSnsUrl,
  readSnsHttpMessage,
  type SnsHttpMessage,
  SnsVerificationError,
  type SnsVerifier,
  type SnsVerifierOptions,
  snsStringToSign,
  type UrlRequester,
} from './sns-signature.ts';
export {
  createSqsHandler,
  dispatchEvent,
  type EventHandler,
  type SqsBatchResponse,
  type SqsEventLike,
  type SqsHandlerOptions,
  type SqsRecordLike,
  SUBSCRIBER_TABLE_ENV,
} from './sqs-handler.ts';
