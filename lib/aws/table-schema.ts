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
 */
export const TABLE_KEY_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds; DynamoDB's TTL deletes archived events after it. */
  timeToLiveAttribute: 'ttl',
} as const;

/** Days an archived event is kept for replay. */
export const ARCHIVE_RETENTION_DAYS = 30;
