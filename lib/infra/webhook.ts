import { Duration, Validations } from 'aws-cdk-lib';
import {
  BackoffFunction,
  type DeliveryPolicy,
  type ITopic,
  type Subscription,
  type SubscriptionFilter,
  SubscriptionProtocol,
} from 'aws-cdk-lib/aws-sns';
import { UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of a {@link Webhook}. */
export interface WebhookProps {
  /** The events topic to subscribe to. */
  readonly topic: ITopic;

  /**
   * The receiver's HTTPS URL. SNS first POSTs a `SubscriptionConfirmation` to it; the
   * receiver confirms with `confirmSubscription` from `gleantap-notifier/subscriber`.
   */
  readonly url: string;

  /** The SNS filter policy of the subscription. @default - every event */
  readonly filterPolicy?: Readonly<Record<string, SubscriptionFilter>>;

  /**
   * How SNS retries a failing receiver. @default - 12 retries over about 11 minutes with
   * exponential backoff from 1 s to 5 min, at most 10 requests a second
   */
  readonly deliveryPolicy?: DeliveryPolicy;
}

/**
 * The delivery policy a webhook gets by default: patient with a receiver that is down for
 * minutes (SNS then dead-letters the message), gentle with one that is slow.
 */
export const DEFAULT_WEBHOOK_DELIVERY_POLICY: DeliveryPolicy = {
  healthyRetryPolicy: {
    numRetries: 12,
    numNoDelayRetries: 0,
    minDelayTarget: Duration.seconds(1),
    maxDelayTarget: Duration.minutes(5),
    numMinDelayRetries: 2,
    backoffFunction: BackoffFunction.EXPONENTIAL,
  },
  throttlePolicy: { maxReceivesPerSecond: 10 },
  requestPolicy: { headerContentType: 'application/json; charset=UTF-8' },
};

/**
 * An HTTPS subscription of the events topic with a delivery policy and a dead-letter queue
 * for the messages SNS gave up on (`gleantap-notifier replay --to-url` is not offered: a
 * receiver that checks SNS's signature would rightly refuse anything else).
 *
 * @throws Error when `url` is not an https URL; the message names the prop.
 */
export class Webhook extends Construct {
  /** The subscription. */
  public readonly subscription: Subscription;

  /** Messages SNS could not deliver after its retries. */
  public readonly deadLetterQueue: IQueue;

  constructor(scope: Construct, id: string, props: WebhookProps) {
    super(scope, id);
    let url: URL;
    try {
      url = new URL(props.url);
    } catch {
      throw new Error(
        `${this.node.path}: url must be an absolute https URL, got ${JSON.stringify(props.url)}`,
      );
    }
    // Plain http would carry customers' personal data in the clear.
    if (url.protocol !== 'https:') {
      throw new Error(`${this.node.path}: url must use https, got ${url.protocol}`);
    }
    const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of an SNS HTTPS subscription; cdk-nag recognises only SQS redrive policies as DLQ use.',
    });
    this.deadLetterQueue = deadLetterQueue;
    this.subscription = props.topic.addSubscription(
      new UrlSubscription(props.url, {
        protocol: SubscriptionProtocol.HTTPS,
        deadLetterQueue,
        deliveryPolicy: props.deliveryPolicy ?? DEFAULT_WEBHOOK_DELIVERY_POLICY,
        ...(props.filterPolicy === undefined || Object.keys(props.filterPolicy).length === 0
          ? {}
          : { filterPolicy: { ...props.filterPolicy } }),
      }),
    );
  }
}
