/** The jobs the benchmark runs in child processes (poll-child.ts) and what each reports. */

export type ChildJob =
  | { readonly kind: 'poll'; readonly appId: string; readonly prefetch: boolean; readonly warm?: boolean }
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
  readonly detail: Record<string, unknown>;
}
