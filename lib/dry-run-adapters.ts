/**
 * The adapters of a dry run, which writes and publishes nothing: a state store with no state
 * and no snapshots (so every app is a baseline, as in `poll --dry-run` without
 * NOTIFIER_TABLE_NAME), and a publisher that refuses. Reaching a write or a publish would be
 * a bug in the poll, not something to carry out, so each rejects.
 */
import type { EventPublisher, StateStore } from './ports.ts';

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

/** The publisher of a dry run, or of a run without a topic: every publish rejects. */
export const refusingPublisher: EventPublisher = {
  publish: () => Promise.reject(new Error('Publishing is not available in a dry run.')),
};
