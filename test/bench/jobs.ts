/** The jobs the benchmark runs in child processes (poll-child.ts) and what each reports. */

export type ChildJob =
  | {
      readonly kind: 'poll';
      readonly appId: string;
      readonly prefetch: boolean;
      readonly warm?: boolean;
      /**
       * Once the scan has fetched this many customers (its last page), force a full GC
       * (the child must run with `--expose-gc`) and report the live heap in `liveHeapKb`.
       */
      readonly liveHeapAt?: number;
    }
  | {
      /**
       * floor: fetch and JSON.parse the pages, nothing else. floor-heads: the same, plus the
       * DynamoStateStore's read of every fetched customer's stored hash, the one AWS call
       * per 100 customers any poll that diffs against DynamoDB must make.
       */
      readonly kind: 'naive' | 'naive-seed' | 'floor' | 'floor-heads';
      readonly appId: string;
      readonly updatedSince?: string;
      readonly warm?: boolean;
    };

/**
 * A simulated day of scheduled polls on a virtual clock (latency-sim.ts): change-to-publish
 * latency and getCustomers load. The bench passes the per-step costs it measured.
 */
export interface LatencyDayJob {
  readonly kind: 'latency-day';
  readonly customers: number;
  readonly dailyChurn: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly pageLatencyMs: number;
  readonly costs: {
    readonly perPageMs: number;
    readonly perChangedMs: number;
    readonly perStoreCallMs: number;
  };
  readonly seed: number;
  readonly hours?: readonly number[];
  readonly order: 'insertion' | 'updated-asc' | 'updated-desc';
}

/** An app the simulator serves empty: warm-up jobs run against it. */
export const WARMUP_APP = 'bench-warmup';

export interface ChildResult {
  readonly job: ChildJob;
  /** CPU time of the job itself (after module loading), microseconds. */
  readonly userUs: number;
  readonly systemUs: number;
  readonly wallMs: number;
  /** Peak resident set of the process since it started, KiB (VmHWM on Linux). */
  readonly maxRssKb: number;
  /** Resident set after the modules loaded, before the job, KiB. */
  readonly idleRssKb: number;
  readonly fetched: number;
  /** Heap in use after a forced full GC at the end of the scan, KiB (jobs with `liveHeapAt`). */
  readonly liveHeapKb?: number;
  readonly detail: Record<string, unknown>;
}
