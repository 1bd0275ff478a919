import type { OutboundMessage, PendingEntry, Snapshot } from '../../lib/core/types.ts';
import {
  type ArchiveQuery,
  type Checkpoint,
  type CommitResult,
  LeaseLostError,
  type PollState,
  type ScanEnd,
  type SnapshotCommit,
  type SnapshotHead,
  type StateStore,
  slotOf,
} from '../../lib/ports.ts';

/**
 * An in-process StateStore with the same conditional semantics as the DynamoDB adapter.
 * Used by `poll --dry-run` when no table is configured (everything is then a baseline) and
 * by unit tests of the poll cycle. Not durable.
 */
export class MemoryStateStore implements StateStore {
  readonly states = new Map<string, PollState>();
  readonly snapshots = new Map<string, Snapshot>();
  readonly archived: { appId: string; message: OutboundMessage }[] = [];

  async acquireLease(appId: string, owner: string, now: Date, ttlMs: number): Promise<PollState | null> {
    const state = this.#state(appId);
    if (state.lease && state.lease.owner !== owner && Date.parse(state.lease.expiresAt) >= now.getTime())
      return null;
    const next = { ...state, lease: { owner, expiresAt: new Date(now.getTime() + ttlMs).toISOString() } };
    this.states.set(appId, next);
    return next;
  }

  async releaseLease(appId: string, owner: string): Promise<void> {
    const state = this.#state(appId);
    if (state.lease?.owner === owner) this.states.set(appId, { ...state, lease: null });
  }

  async getPollState(appId: string): Promise<PollState | null> {
    return this.states.get(appId) ?? null;
  }

  async recordIntent(
    appId: string,
    owner: string,
    intent: readonly PendingEntry[],
    leaseExpiresAt: Date,
  ): Promise<void> {
    const state = this.#holding(appId, owner);
    this.states.set(appId, { ...state, intent, lease: { owner, expiresAt: leaseExpiresAt.toISOString() } });
  }

  async clearIntent(appId: string, owner: string): Promise<void> {
    const state = this.#holding(appId, owner);
    this.states.set(appId, { ...state, intent: [] });
  }

  async renewLease(appId: string, owner: string, leaseExpiresAt: Date): Promise<void> {
    const state = this.#holding(appId, owner);
    this.states.set(appId, { ...state, lease: { owner, expiresAt: leaseExpiresAt.toISOString() } });
  }

  async markPending(appId: string, entries: readonly PendingEntry[]): Promise<void> {
    for (const { customerId, pending } of entries) {
      const key = `${appId}#${customerId}`;
      const current = this.snapshots.get(key);
      if ((current?.version ?? 0) >= pending.version) continue;
      if ((current?.pending?.version ?? 0) > pending.version) continue;
      this.snapshots.set(key, {
        ...(current ?? { customerId, hash: '', fields: {}, version: 0 }),
        pending,
      });
    }
  }

  async saveCheckpoint(
    appId: string,
    owner: string,
    checkpoint: Checkpoint,
    leaseExpiresAt: Date,
  ): Promise<void> {
    const state = this.#holding(appId, owner);
    this.states.set(appId, {
      ...state,
      ...(slotOf(checkpoint.mode) === 'resync' ? { resyncCheckpoint: checkpoint } : { checkpoint }),
      lease: { owner, expiresAt: leaseExpiresAt.toISOString() },
    });
  }

  async endScan(appId: string, owner: string, end: ScanEnd): Promise<void> {
    const state = this.#holding(appId, owner);
    this.states.set(appId, {
      ...state,
      ...(end.watermarks === undefined
        ? {}
        : {
            watermark: end.watermarks.watermark,
            previousWatermark: end.watermarks.previousWatermark,
          }),
      ...(end.slot === 'resync' ? { resyncCheckpoint: end.checkpoint } : { checkpoint: end.checkpoint }),
      lastPoll: end.lastPoll,
      lease: null,
    });
  }

  async getSnapshotHeads(appId: string, customerIds: readonly string[]): Promise<Map<string, SnapshotHead>> {
    const heads = new Map<string, SnapshotHead>();
    for (const [id, { customerId, hash, version, pending }] of await this.getSnapshots(appId, customerIds))
      heads.set(id, { customerId, hash, version, ...(pending ? { pendingHash: pending.hash } : {}) });
    return heads;
  }

  async getSnapshots(appId: string, customerIds: readonly string[]): Promise<Map<string, Snapshot>> {
    const found = new Map<string, Snapshot>();
    for (const id of customerIds) {
      const snapshot = this.snapshots.get(`${appId}#${id}`);
      if (snapshot) found.set(id, snapshot);
    }
    return found;
  }

  async commitSnapshots(appId: string, commits: readonly SnapshotCommit[]): Promise<CommitResult> {
    const committed: string[] = [];
    const conflicts: string[] = [];
    for (const { snapshot, expectedVersion } of commits) {
      const key = `${appId}#${snapshot.customerId}`;
      const current = this.snapshots.get(key);
      const committedVersion = current === undefined || current.version === 0 ? null : current.version;
      if (committedVersion !== expectedVersion) {
        conflicts.push(snapshot.customerId);
        continue;
      }
      this.snapshots.set(key, snapshot);
      committed.push(snapshot.customerId);
    }
    return { committed, conflicts };
  }

  async createSnapshots(appId: string, snapshots: readonly Snapshot[]): Promise<void> {
    for (const snapshot of snapshots) this.snapshots.set(`${appId}#${snapshot.customerId}`, snapshot);
  }

  async archive(appId: string, messages: readonly OutboundMessage[]): Promise<void> {
    for (const message of messages) this.archived.push({ appId, message });
  }

  async *readArchive(query: ArchiveQuery): AsyncIterable<OutboundMessage> {
    for (const { appId, message } of this.archived) {
      const time = typeof message.event.time === 'string' ? message.event.time : '';
      if (appId !== query.appId || time < query.since || time >= query.until) continue;
      if (query.type && message.type !== query.type) continue;
      if (query.customerId && message.customerId !== query.customerId) continue;
      yield message;
    }
  }

  #state(appId: string): PollState {
    return (
      this.states.get(appId) ?? {
        appId,
        watermark: null,
        previousWatermark: null,
        checkpoint: null,
        resyncCheckpoint: null,
        lastPoll: null,
        lease: null,
        intent: [],
      }
    );
  }

  #holding(appId: string, owner: string): PollState {
    const state = this.#state(appId);
    if (state.lease?.owner !== owner) throw new LeaseLostError(appId);
    return state;
  }
}
