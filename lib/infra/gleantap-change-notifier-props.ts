/**
 * The props of {@link GleantapChangeNotifier} and the options of its subscriptions, with their
 * documentation: what a user of the construct reads. The rules that check them are in
 * `private/notifier-settings.ts` (props) and `private/filter-policy.ts` (subscriber options);
 * the limits themselves in `lib/core/settings.ts`, shared with the runtime.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { EventType } from '../core/types.ts';
import type { AlertDelivery } from './opt-out-alerts.ts';

/**
 * Properties for a {@link GleantapChangeNotifier}.
 */
export interface GleantapChangeNotifierProps {
  /**
   * Gleantap app ids to seed the app registry with on deploy. The registry (items in the state
   * table, managed with `npx gleantap-notifier apps add|remove|list`) is what the dispatcher
   * polls; ids listed here are added to it, and ids removed from here are removed from it again
   * (apps added with the CLI are never touched). Nothing in the template grows with the number
   * of apps except this list, so large fleets register their apps with the CLI instead.
   *
   * Each id: 1 to 64 letters, digits, `_`, `.` or `-`, listed once.
   *
   * @default - none: register apps with the CLI
   */
  readonly appIds?: readonly string[];

  /**
   * How often the dispatcher runs, and so how often each app is polled (an app registered with
   * a longer interval is polled every n-th run): a `Duration` (a whole number of minutes, at
   * least one) or an EventBridge Scheduler expression (`rate(...)` or `cron(...)`).
   *
   * @default Duration.minutes(5)
   */
  readonly schedule?: Duration | ScheduleExpression;

  /**
   * How often a poll of each app is expected to succeed; the staleness alarm fires after
   * `missedPollsBeforeAlarm` such intervals without a `PollSucceeded`.
   *
   * @default - the schedule's rate when `schedule` is a `Duration`; required when it is a
   * `ScheduleExpression`
   */
  readonly pollInterval?: Duration;

  /**
   * Number of poll intervals in a row without a successful poll of an app before its
   * staleness alarm fires.
   *
   * @default 3
   */
  readonly missedPollsBeforeAlarm?: number;

  /**
   * Days subtracted from the start of the complete scan before the last one to form
   * `updated_since`, 1 to 30. Gleantap filters by date in an undocumented time zone (and may
   * read `updated_since` as exclusive), so at least one day is needed.
   *
   * @default 1
   */
  readonly lookbackDays?: number;

  /**
   * Days between reconciliations of each app, 1 to 7: the full scan that finds the customers
   * Gleantap no longer returns and announces them `customer.deleted` once two conclusive
   * scans in a row missed them (so a deletion is announced one to two intervals after it
   * happened). The dispatcher enqueues each app's run at a time of day fixed by its app id,
   * plus three resume messages an hour apart for a scan longer than one poller invocation.
   *
   * @default 1
   */
  readonly reconcileIntervalDays?: number;

  /**
   * Members requested per `getCustomers` page (`limit`), 1 to 1000.
   *
   * @default 1000
   */
  readonly pageSize?: number;

  /**
   * The Secrets Manager secret holding the Gleantap keys as
   * `{"apiKey":"...","secretKey":"..."}`. The function receives only its ARN.
   *
   * @default - a new secret with placeholder values; set the real keys after deploying
   */
  readonly credentials?: ISecret;

  /**
   * Scheme and host of the Gleantap API, without a path.
   *
   * @default 'https://api.gleantap.com'
   */
  readonly gleantapBaseUrl?: string;

  /**
   * Staff email addresses subscribed to the opt-out events (`customer.optout_changed`) of
   * one app each, keyed by app id: the subscription filters on `app_id` as well as `type`, so
   * each studio's staff see only their own members. List an address under several apps to
   * give it each of them. Each recipient must confirm the subscription from the email AWS sends.
   *
   * @default - no email subscriptions; add some with `addAlertEmail`
   */
  readonly alertEmailsByApp?: Readonly<Record<string, readonly string[]>>;

  /**
   * Email addresses subscribed to opt-out events of the one app polled. Only valid with a
   * single app id: with several, use `alertEmailsByApp` (an address that got every app's
   * opt-outs would read other studios' members).
   *
   * @default - none
   */
  readonly alertEmails?: readonly string[];

  /**
   * How staff receive opt-out alerts: `digest` sends one mail per app and poll page listing
   * that page's opt-out changes, from an alerts topic of its own; `each` sends one mail per
   * `customer.optout_changed` event, from the events topic.
   *
   * @default 'digest'
   */
  readonly alertDelivery?: AlertDelivery;

  /**
   * Email addresses subscribed to the alarm topic (operators).
   *
   * @default - none
   */
  readonly alarmEmails?: readonly string[];

  /**
   * Whether the first (baseline) poll of an app publishes a `customer.created` for every
   * existing customer. By default it only records snapshots.
   *
   * @default false
   */
  readonly emitBaseline?: boolean;

  /**
   * Extra member fields to watch in addition to the documented ones (for instance custom
   * fields your Gleantap account returns).
   *
   * @default - only the documented member fields
   */
  readonly watchedFields?: readonly string[];

  /**
   * How long the function's logs are kept.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the state table (snapshots, watermarks, archived events) when it leaves
   * the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Concurrent executions reserved for the poller. Not needed for correctness (the lease and
   * the FIFO poll queue keep two polls of one app apart) nor for a bound (`maxConcurrency` is
   * one). Lambda refuses a reservation that leaves the account less than 100 unreserved (10 on
   * a new account whose limit is still 10), so the account's concurrency quota must be at least
   * this plus 100 (plus what other reserved functions hold).
   *
   * @default - no reservation: the poller uses the account's unreserved pool
   */
  readonly reservedConcurrency?: number;

  /**
   * Poller invocations the poll queue's event source mapping runs at once (2 to 1000). It bounds
   * the fleet's Lambda concurrency and the rate of Gleantap requests; polls beyond it wait in
   * the queue. At 5,000 apps every 5 minutes, `npm run bench` derives the concurrency needed
   * from measured poll durations.
   *
   * @default 50
   */
  readonly maxConcurrency?: number;

  /**
   * The poller's timeout. The handler starts no page after the timeout less a margin
   * (15 s, or a quarter of a short timeout: see `pollDeadline` in `lib/core/deadline.ts`),
   * and it must be shorter than the schedule interval when `schedule` is a `Duration`.
   *
   * @default - four minutes, or 80 % of the schedule interval when that is shorter (48 s for
   * a 1-minute schedule, which scans for 36 s per invocation)
   */
  readonly timeout?: Duration;

  /**
   * Memory for the poller in MiB.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Extra environment variables for the poller (for instance `POWERTOOLS_LOG_LEVEL`). They are
   * merged with the construct's; the variables the construct wires (table, topic, secret,
   * app ids, paging) cannot be overridden.
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * Which events a subscriber receives. Each given criterion narrows the filter; within one
 * criterion any listed value matches.
 */
export interface SubscriberOptions {
  /**
   * Event types to deliver.
   *
   * @default - all types
   */
  readonly types?: readonly EventType[];

  /**
   * Deliver only events whose `changed_fields` includes at least one of these. Note that
   * `customer.created` events carry no `changed_fields`, so this filter excludes them.
   *
   * @default - any fields
   */
  readonly changedFields?: readonly string[];

  /**
   * Deliver only events of these apps (each must be one of the construct's `appIds`).
   *
   * @default - all apps
   */
  readonly appIds?: readonly string[];

  /**
   * Whether SQS receives the CloudEvent as the message body with the SNS attributes as SQS
   * message attributes (true), or the SNS JSON envelope around it (false).
   *
   * @default true
   */
  readonly rawMessageDelivery?: boolean;
}
