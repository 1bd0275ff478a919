/**
 * The state store of `poll --dry-run` without NOTIFIER_TABLE_NAME: no state and no snapshots,
 * so every app is a baseline. A dry run writes nothing, so every write rejects: reaching one
 * would be a bug in the poll, not something to store.
 */
import type { StateStore } from '../ports.ts';

const refuse = (): Promise<never> =>
  Promise.reject(new Error('A dry run writes nothing, yet the poll tried to write state.'));

/** An empty, read-only {@link StateStore}; its writes reject. */
export const emptyStateStore: StateStore = {
  getPollState: () => Promise.resolve(null),
  getSnapshotHeads: () => Promise.resolve(new Map()),
  getSnapshots: () => Promise.resolve(new Map()),
  readArchive: async function* () {},
  acquireLease: refuse,
  releaseLease: refuse,
  recordIntent: refuse,
  clearIntent: refuse,
  renewLease: refuse,
  markPending: refuse,
  saveCheckpoint: refuse,
  endScan: refuse,
  commitSnapshots: refuse,
  createSnapshots: refuse,
  archive: refuse,
};
