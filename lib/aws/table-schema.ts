/**
 * The one definition of the state table's keys. The CDK construct, `create-table` and the
 * DynamoDB adapters all import it, so the deployed table and the code cannot drift apart.
 *
 * Item types (all in one table, string keys `pk` / `sk`):
 * - customer snapshot  pk `C#<appId>#<customerId>`  sk `S`      one partition per customer: no hot key
 * - poll state         pk `A#<appId>`               sk `STATE`  watermark, checkpoint, last summary
 * - lease              pk `A#<appId>`               sk `LEASE`  owner, expiresAt (epoch ms)
 * - archived event     pk `E#<appId>#<YYYY-MM-DD>#<shard>` sk `<time>#<id>`  30-day TTL, read by replay
 * - registered app     pk `REGISTRY`                sk `APP#<appId>`  the app registry (lib/aws/app-registry.ts)
 * - reconcile state    pk `A#<appId>`               sk `RECONCILE` claim, run in progress, suspects' run, last outcome
 * - reconcile page     pk `R#<appId>#<runId>`       sk `P#<offset, 12 digits>`  ids one page returned (JSON), TTL
 * - reconcile suspects pk `R#<appId>#<runId>`       sk `M#<chunk, 12 digits>`   that run's missing ids (JSON), TTL
 * A snapshot with `d` (`pending`|`announced`) is a tombstone: the customer was announced deleted.
 */
export const TABLE_KEY_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds; DynamoDB's TTL deletes archived events after it. */
  timeToLiveAttribute: 'ttl',
} as const;

/** Days an archived event is kept for replay. */
export const ARCHIVE_RETENTION_DAYS = 30;

/** Days a reconciliation's page and suspect items are kept (runs are daily; suspects older than this are stale evidence). */
export const RECONCILE_RETENTION_DAYS = 14;
