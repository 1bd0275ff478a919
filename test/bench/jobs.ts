/** The jobs the benchmark runs in child processes (poll-child.ts) and what each reports. */

export type ChildJob =
  | { readonly kind: 'poll'; readonly appId: string; readonly prefetch: boolean; readonly warm?: boolean }
  | {
      readonly kind: 'naive' | 'naive-seed' | 'floor';
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
  /** Peak resident set of the whole process, KiB (process.resourceUsage().maxRSS). */
  readonly maxRssKb: number;
  /** Resident set after the modules loaded, before the job, KiB. */
  readonly idleRssKb: number;
  readonly fetched: number;
  readonly detail: Record<string, unknown>;
}
