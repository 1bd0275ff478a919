import { type Duration, Lazy, Token } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnSubscription, type ITopic, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { OPTOUT_DIGEST_TYPE } from '../core/optout-digest.ts';
import { MAX_FILTER_POLICY_COMBINATIONS } from '../core/sns-limits.ts';
import { AlertSubscriptionWatch } from './alert-subscription-watch.ts';
import { propsError } from './private/validation-error.ts';

/**
 * How staff receive opt-out alerts:
 * - `digest`: one mail per app and poll page listing that page's opt-out changes, from a
 *   separate alerts topic;
 * - `each`: one mail per `customer.optout_changed` event, from the events topic.
 */
export const ALERT_DELIVERIES = ['digest', 'each'] as const;
export type AlertDelivery = (typeof ALERT_DELIVERIES)[number];

/**
 * Properties for an {@link OptOutAlerts}.
 */
export interface OptOutAlertsProps {
  /** The events topic (`each` delivery subscribes staff to it). */
  readonly eventsTopic: ITopic;

  /** The stack's customer-managed key; it encrypts the alerts topic as it does the events topic. */
  readonly masterKey: IKey;

  /**
   * The app ids an address may be given. The notifier leaves it out: apps added to its
   * registry at run time get alerts too, and it checks the app id rule itself.
   *
   * @default - any app id
   */
  readonly appIds?: readonly string[];

  /**
   * `digest` (one mail per app and page) or `each` (one mail per opt-out event).
   *
   * @default 'digest'
   */
  readonly delivery?: AlertDelivery;

  /** Where the subscription watch's alarms notify. */
  readonly alarmAction: IAlarmAction;

  /**
   * How often the subscription watch lists the staff subscriptions.
   *
   * @default Duration.hours(1)
   */
  readonly checkInterval?: Duration;
}

/**
 * Staff opt-out alerts by e-mail, kept apart per app: each address gets one subscription whose
 * filter policy allows only the apps it was given (`app_id`), so one studio's front desk never
 * reads another studio's members. With `digest` delivery (the default) the mails come from an
 * alerts topic of their own (same customer-managed key, TLS only) that carries only digests;
 * with `each` from the events topic, filtered to `customer.optout_changed`. Once an address is
 * added, an {@link AlertSubscriptionWatch} alarms when one is unsubscribed or stays unconfirmed.
 *
 * @throws ValidationError when `delivery` is not one of {@link ALERT_DELIVERIES}.
 */
export class OptOutAlerts extends Construct {
  public readonly delivery: AlertDelivery;

  /** The alerts topic the poller publishes digests to; undefined with `each` delivery. */
  public readonly alertsTopic: ITopic | undefined;

  /** The topic the staff e-mail subscriptions are on. */
  public readonly subscriptionTopic: ITopic;

  /** Created with the first address. */
  public get watch(): AlertSubscriptionWatch | undefined {
    return this.#watch;
  }

  readonly #appIds: readonly string[] | undefined;
  readonly #props: OptOutAlertsProps;
  /**
   * One subscription per address, keyed by the address in lower case: SNS refuses a second
   * subscription of an endpoint to a topic with other attributes (another filter policy).
   */
  readonly #recipients = new Map<
    string,
    { readonly address: string; readonly apps: Set<string>; readonly subscription: CfnSubscription }
  >();
  #watch: AlertSubscriptionWatch | undefined;

  constructor(scope: Construct, id: string, props: OptOutAlertsProps) {
    super(scope, id);
    const delivery = props.delivery ?? 'digest';
    if (!(ALERT_DELIVERIES as readonly string[]).includes(delivery)) {
      throw propsError(this, 'GleantapNotifierAlertDelivery', [
        `alertDelivery must be one of ${ALERT_DELIVERIES.join(', ')}; got "${delivery}"`,
      ]);
    }
    this.delivery = delivery;
    this.#appIds = props.appIds;
    this.#props = props;
    this.alertsTopic =
      delivery === 'digest'
        ? new Topic(this, 'Topic', {
            displayName: 'Gleantap opt-out alerts',
            masterKey: props.masterKey,
            enforceSSL: true,
          })
        : undefined;
    this.subscriptionTopic = this.alertsTopic ?? props.eventsTopic;
  }

  /**
   * Subscribes an address to the opt-out alerts of `appIds`. Adding the same address again
   * (for other apps) widens its one subscription. The recipient must confirm from the mail AWS
   * sends; until then the watch counts it as pending.
   *
   * @returns the address's subscription
   * @throws ValidationError when `appIds` is empty or names an app outside the `appIds` prop, or the address
   * would receive more apps than one SNS filter policy can list (150).
   */
  public addEmail(address: string, appIds: readonly string[]): CfnSubscription {
    const known = this.#appIds;
    const unknown = known === undefined ? undefined : appIds.find((appId) => !known.includes(appId));
    const problem =
      appIds.length === 0
        ? `name the apps whose alerts ${address} receives`
        : unknown !== undefined
          ? `"${unknown}" is not one of the polled appIds`
          : undefined;
    if (problem !== undefined)
      throw propsError(this, 'GleantapNotifierAlertEmail', [`addAlertEmail: ${problem}`]);
    // Mail systems treat addresses case-insensitively; SNS would see two endpoints.
    const key = Token.isUnresolved(address) ? address : address.toLowerCase();
    const existing = this.#recipients.get(key);
    const apps = new Set([...(existing?.apps ?? []), ...appIds]);
    if (apps.size > MAX_FILTER_POLICY_COMBINATIONS) {
      throw propsError(this, 'GleantapNotifierAlertEmail', [
        `addAlertEmail: ${address} would receive ${apps.size} apps' alerts; one SNS filter policy lists at most ${MAX_FILTER_POLICY_COMBINATIONS}`,
      ]);
    }
    if (existing !== undefined) {
      for (const appId of appIds) existing.apps.add(appId);
      return existing.subscription;
    }
    const type = this.delivery === 'digest' ? OPTOUT_DIGEST_TYPE : 'customer.optout_changed';
    const subscription = new CfnSubscription(this, `Email-${this.#recipients.size}`, {
      topicArn: this.subscriptionTopic.topicArn,
      protocol: SubscriptionProtocol.EMAIL,
      endpoint: address,
      // Read at synthesis, so a later addEmail of this address widens this same policy.
      filterPolicy: Lazy.any({ produce: () => ({ type: [type], app_id: [...apps].sort() }) }),
    });
    this.#recipients.set(key, { address, apps, subscription });
    this.#watch ??= new AlertSubscriptionWatch(this, 'Watch', {
      topic: this.subscriptionTopic,
      emails: () => [...this.#recipients.values()].map((r) => r.address),
      alarmAction: this.#props.alarmAction,
      ...(this.#props.checkInterval === undefined ? {} : { checkInterval: this.#props.checkInterval }),
    });
    return subscription;
  }

  /** True when `address` (in any case) already receives the alerts of `appId`. */
  public receives(address: string, appId: string): boolean {
    return this.#recipients.get(address.toLowerCase())?.apps.has(appId) ?? false;
  }

  /** Addresses and the apps each receives, as subscribed so far. */
  public get recipients(): ReadonlyMap<string, readonly string[]> {
    return new Map([...this.#recipients.values()].map((r) => [r.address, [...r.apps].sort()]));
  }
}
