/**
 * Monthly AWS cost of one app, derived from the per-customer figures measured in the same
 * bench run. Prices are public us-east-1 on-demand list prices; see PERFORMANCE.md for sources.
 */

/** Public prices (us-east-1), as of 2025 (DynamoDB after the 1 Nov 2024 on-demand reduction). */
export const PRICES = {
  /** DynamoDB on-demand, USD per million write request units. */
  dynamoWruPerMillion: 0.625,
  /** DynamoDB on-demand, USD per million read request units. */
  dynamoRruPerMillion: 0.125,
  /** SNS standard topic, USD per million publish requests (each 64 KB chunk of a request is one). */
  snsPublishPerMillion: 0.5,
  /** Lambda arm64, USD per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda, USD per million invocations. */
  lambdaRequestsPerMillion: 0.2,
} as const;

/** What the bench measured, per fetched or per changed customer. */
export interface MeasuredRates {
  /** Fixed DynamoDB requests per poll (lease, end of scan). */
  readonly fixedRequestsPerPoll: number;
  /** BatchGetItem requests per fetched customer (1/100). */
  readonly readRequestsPerFetched: number;
  /** Events published per changed customer. */
  readonly eventsPerChanged: number;
  /** Average archive item size, bytes (WRU = ceil(size / 1 KB)). */
  readonly archiveItemBytes: number;
  /** Snapshot item size, bytes. */
  readonly snapshotItemBytes: number;
  /** Poll state item size, bytes (lease and end-of-scan writes). */
  readonly stateItemBytes: number;
  /** Warm CPU seconds per fetched customer, and per poll (fixed). */
  readonly cpuSecondsPerFetched: number;
  readonly cpuSecondsPerPoll: number;
}

export interface CostRow {
  readonly customers: number;
  readonly fetchedPerPoll: number;
  readonly changedPerPoll: number;
  readonly dynamoRequestsPerMonth: number;
  readonly snsRequestsPerMonth: number;
  readonly wruPerMonth: number;
  readonly rruPerMonth: number;
  readonly lambdaGbSecondsPerMonth: number;
  readonly usdPerMonth: { dynamo: number; sns: number; lambda: number; total: number };
}

const POLLS_PER_MONTH = 12 * 24 * 30;
const PAGE = 1000;
/** Lambda memory (GB) the stack deploys, and an assumed Gleantap latency per page (s). */
const LAMBDA_GB = 0.5;
const GLEANTAP_SECONDS_PER_PAGE = 0.3;

/**
 * One app with `customers` members, 1% of them changing per day, polled every 5 minutes.
 * The window is `updated_since = date(start of the complete scan before the last − 1 day)`
 * at day granularity (two-scan coverage, issue 12: at 5-minute polls that is 5 minutes before
 * the last poll), so each poll re-reads every customer changed since the start of yesterday:
 * on average 1.5 days of changes (1 just after midnight UTC, 2 just before), not the
 * population and not 5 minutes.
 */
export function monthlyCost(customers: number, rates: MeasuredRates, dailyChurn = 0.01): CostRow {
  const changedPerDay = customers * dailyChurn;
  const fetchedPerPoll = changedPerDay * 1.5;
  const changedPerPoll = changedPerDay / (24 * 12);
  const pages = Math.max(1, Math.ceil(fetchedPerPoll / PAGE));
  const events = changedPerPoll * rates.eventsPerChanged;
  const wru = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
  // Per poll: lease + end (2 state writes), a checkpoint per page that changed something,
  // reads in batches of 100 (0.5 RRU per item, eventually consistent), one conditional write
  // per changed customer, the archive in batches of 25 (WRU per item).
  const checkpoints = Math.min(pages - 1, Math.ceil(changedPerPoll));
  const readRequests = Math.ceil(fetchedPerPoll * rates.readRequestsPerFetched);
  const archiveRequests = Math.ceil(events / 25);
  const dynamoRequests =
    rates.fixedRequestsPerPoll + checkpoints + readRequests + changedPerPoll + archiveRequests;
  const wruPerPoll =
    (rates.fixedRequestsPerPoll + checkpoints) * wru(rates.stateItemBytes) +
    changedPerPoll * wru(rates.snapshotItemBytes) +
    events * wru(rates.archiveItemBytes);
  const rruPerPoll = fetchedPerPoll * 0.5;
  const snsPerPoll = Math.ceil(events / 10);
  const seconds =
    rates.cpuSecondsPerPoll + fetchedPerPoll * rates.cpuSecondsPerFetched + pages * GLEANTAP_SECONDS_PER_PAGE;
  const gbSeconds = seconds * LAMBDA_GB;
  const month = (x: number) => x * POLLS_PER_MONTH;
  const dynamo =
    (month(wruPerPoll) * PRICES.dynamoWruPerMillion + month(rruPerPoll) * PRICES.dynamoRruPerMillion) / 1e6;
  const sns = (month(snsPerPoll) * PRICES.snsPublishPerMillion) / 1e6;
  const lambda =
    month(gbSeconds) * PRICES.lambdaGbSecond + (POLLS_PER_MONTH * PRICES.lambdaRequestsPerMillion) / 1e6;
  return {
    customers,
    fetchedPerPoll,
    changedPerPoll,
    dynamoRequestsPerMonth: month(dynamoRequests),
    snsRequestsPerMonth: month(snsPerPoll),
    wruPerMonth: month(wruPerPoll),
    rruPerMonth: month(rruPerPoll),
    lambdaGbSecondsPerMonth: month(gbSeconds),
    usdPerMonth: { dynamo, sns, lambda, total: dynamo + sns + lambda },
  };
}
