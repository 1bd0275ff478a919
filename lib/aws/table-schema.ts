/**
 * The state table: its keys, defined once here (the CDK construct, `create-table` and the
 * DynamoDB adapters all import them, so the deployed table and the code cannot drift apart),
 * and the layout of its items, documented once here. The adapters that read and write them
 * point back to this comment.
 *
 * One table, string keys `pk` / `sk`, TTL attribute `ttl` (epoch seconds). Item kinds are told
 * apart by key prefix; `C#`, `A#`, `E#`, `R#` and `REGISTRY` cannot collide, and app ids never
 * hold `#` (lib/core/settings.ts). Attribute names are one or two letters on the items there
 * are many of (a snapshot per customer, an archived event per change: every byte is read and
 * write capacity), and words on the items there is one of per app.
 *
 * ## Customer snapshot: pk `C#<appId>#<customerId>`, sk `S`
 * One partition per customer, so a 1M-customer app has no hot key.
 * - `c`  (S) customer id
 * - `h`  (S) content hash of the watched fields (lib/core/content-hash.ts); on a tombstone
 *   `tombstone:<last content hash>` (lib/core/tombstone.ts)
 * - `v`  (N) committed version, 1 for the first: the `sequence` of the last event announced
 * - `f`  (S) the watched fields as committed (JSON object)
 * - `d`  (S) only on a tombstone: `pending` (the customer was found deleted and
 *   `customer.deleted` is not yet published) or `announced`. A customer seen again after
 *   its tombstone is `created` again, one version higher.
 * - `pv` (N), `ph` (S), `p` (S): a version that was published (or may have been) but is not
 *   committed: its version, hash, and JSON `{f: fields, b: {h: base hash, p: previous values}
 *   | null}`. The next diff starts from it, so the same content is re-sent with the same id.
 *   An item may hold only these (no `v`): a `customer.created` that went out uncommitted.
 * Written by `DynamoStateStore`:
 * - `commitSnapshots` (poll, reconciliation): PutItem of the whole item, which drops `pv`,
 *   `ph`, `p`; condition `v = <version the diff read>`, or `attribute_not_exists(v)` for a new
 *   customer (not `attribute_not_exists(pk)`: an item holding only a pending version may exist).
 *   A failed condition is a conflict: someone else committed first. Reconciliation writes the
 *   tombstone as version `v + 1` with `d = pending`, then `d = announced` at that version.
 * - `createSnapshots`: unconditional BatchWriteItem, only for a baseline scan under the lease
 *   and for customers just read as absent (no other writer can race it there).
 * - `markPending`: UpdateItem SET `c`, `pv`, `ph`, `p` where `(attribute_not_exists(v) OR
 *   v < pv) AND (attribute_not_exists(pv) OR pv <= new pv)`, for what was published but not
 *   committed, and when settling an intent a crashed poll left.
 *
 * ## Poll state and lease: pk `A#<appId>`, sk `STATE`
 * One per app. The lease lives on this item (it is not an item of its own), so every write of
 * the poll's progress is conditioned on still holding it and the design needs no transactions.
 * - `appId` (S), `leaseOwner` (S) the holder's id, `leaseExpiresAt` (N) epoch ms
 * - `watermark` (S) start (ISO) of the last complete scan; `previousWatermark` (S) start of the
 *   complete scan before it: the next window reaches back to it
 * - `checkpoint` (S) the scheduled scan in progress, JSON (mode, window, offset, totals,
 *   drift-detector state: `checkpointSchema` in dynamo-state-store.ts); `resyncCheckpoint` (S)
 *   a resync's, never touched by scheduled polls
 * - `lastPoll` (S) how the last invocation ended, JSON (times, outcome, mode, counts, error)
 * - `intent` (S) write-ahead record of the page being published, JSON
 *   `[{c: customer id, v: version, h: hash, f: fields, b: base as in p}]`
 * Written by `DynamoStateStore`: `acquireLease` (UpdateItem where `attribute_not_exists(
 * leaseOwner) OR leaseOwner = me OR leaseExpiresAt < now`); every other write (`renewLease`,
 * `recordIntent`, `clearIntent`, `saveCheckpoint`, `endScan`, which also removes the lease)
 * where `leaseOwner = me`, else `LeaseLostError`; `releaseLease` the same, ignoring a lost
 * lease. Reconciliation takes this lease too while it writes tombstones.
 *
 * ## Archived event: pk `E#<appId>#<YYYY-MM-DD>#<shard>`, sk `<event time>#<event id>`
 * Every published message, for `replay`; one day's events of an app are spread over
 * `ARCHIVE_SHARDS` partitions (`archivePartition` in dynamo-state-store.ts).
 * - `id` (S) event id, `type` (S) event type, `c` (S) customer id, `seq` (N) sequence
 * - `msg` (S) the SNS message, `attrs` (S) its message attributes (JSON), `event` (S) the
 *   CloudEvent (JSON), `subj` (S) the SNS subject and `ms` (S) the message structure (`json`),
 *   each only when the message has one
 * - `ttl` = written + {@link ARCHIVE_RETENTION_DAYS} days
 * Written by `DynamoStateStore.archive` (unconditional BatchWriteItem) after publishing, by
 * the poll and by reconciliation.
 *
 * ## Registered app: pk `REGISTRY`, sk `APP#<appId>`
 * The fleet the dispatcher polls; one partition, listed with one Query.
 * - `app` (S) app id, `at` (S) when added (ISO), `src` (S) `cli` or `context` (seeded from the
 *   `gleantap:appIds` context), `paused` (BOOL), `iv` (N) minutes between polls, when not
 *   every dispatch interval
 * Written by `DynamoAppRegistry` (lib/aws/app-registry.ts): `add` (UpdateItem, unconditional,
 * keeping `at` and `src`), `remove` (DeleteItem), and the dispatcher's `seed` (BatchWriteItem
 * of the context-seeded apps only).
 *
 * ## Reconciliation state: pk `A#<appId>`, sk `RECONCILE`
 * One per app, beside the poll state; its claim is separate from the poll lease.
 * - `rOwner` (S) the claim's holder, `rExpires` (N) epoch ms
 * - `rRun` (S) id of the run in progress; `rSus` (S) id of the run whose missing ids are the
 *   suspects; `rLast` (S) the last outcome, JSON (run id, time, verdict, counts, reason)
 * Written by `DynamoReconcileStore`: `claim` (UpdateItem where `attribute_not_exists(rOwner) OR
 * rOwner = me OR rExpires < now`), `extend` and `finish` where `rOwner = me` (else
 * `LeaseLostError`), `release` the same, ignoring a lost claim.
 *
 * ## Reconciliation run items: pk `R#<appId>#<runId>`
 * - sk `P#<offset, 12 digits>`: a scanned page, `o` (N) offset, `n` (N) rows received, `i` (S)
 *   the ids it returned (JSON)
 * - sk `M#<chunk, 12 digits>`: `i` (S) up to 4,000 of the ids the run found missing (JSON),
 *   the next run's suspects
 * - `ttl` = written + {@link RECONCILE_RETENTION_DAYS} days
 * Written by `DynamoReconcileStore` (`recordPage`, `saveSuspects`: unconditional PutItem, by
 * the claim's holder).
 *
 * The subscriber kit's apply-once state is in a table of the subscriber's own, laid out in
 * lib/subscriber/dynamo-apply-once-store.ts.
 */
export const TABLE_KEY_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds; DynamoDB's TTL deletes archived events and reconciliation run items after it. */
  timeToLiveAttribute: 'ttl',
} as const;

/** Days an archived event is kept for replay. */
export const ARCHIVE_RETENTION_DAYS = 30;

/** Days a reconciliation's page and suspect items are kept (runs are daily; suspects older than this are stale evidence). */
export const RECONCILE_RETENTION_DAYS = 14;
