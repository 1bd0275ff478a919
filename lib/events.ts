/**
 * The event contract (`gleantap-notifier/events`): the TypeScript types of every event,
 * their JSON Schemas (draft 2020-12, the same as `schemas/*.json`), the `dataschema` URIs
 * and the event type names. Pure data: importing it pulls in no AWS SDK.
 */
export { EVENT_SCHEMAS } from './core/event-schemas.ts';
export {
  type Channel,
  type CloudEventEnvelope,
  type Customer,
  type CustomerCreatedData,
  type CustomerCreatedEvent,
  type CustomerOptoutChangedData,
  type CustomerOptoutChangedEvent,
  type CustomerUpdatedData,
  type CustomerUpdatedEvent,
  DATA_SCHEMAS,
  type EventType,
  type GleantapNotifierEvent,
  type JsonValue,
} from './core/event-types.ts';

import { DATA_SCHEMAS } from './core/event-types.ts';
import type { EventType } from './core/types.ts';

/** Every event type this version publishes. */
export const EVENT_TYPE_NAMES: readonly EventType[] = Object.keys(DATA_SCHEMAS).filter(
  (type): type is EventType => type in DATA_SCHEMAS,
);
