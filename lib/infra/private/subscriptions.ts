/**
 * The subscriptions `GleantapChangeNotifier` adds for its users: a queue on the events topic
 * with its own dead-letter queue and alarm, and the check of an opt-out alert address. The
 * subscriber function and the webhook are constructs of their own (`subscriber-function.ts`,
 * `webhook.ts`); their filter policies come from `filter-policy.ts` like the queue's.
 */
import { Duration, Names } from 'aws-cdk-lib';
import type { ITopic, Subscription } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REGISTRY_APP_ID } from '../../aws/app-registry.ts';
import type { SubscriberOptions } from '../gleantap-change-notifier-props.ts';
import { acknowledgeDeadLetterQueue } from './accepted-findings.ts';
import { filterPolicyFor } from './filter-policy.ts';
import type { NotifierAlarms } from './notifier-alarms.ts';
import { emailProblem } from './notifier-settings.ts';
import { propsError } from './validation-error.ts';

/**
 * Subscribes `queue` to `topic` with the filter policy of `options`, through a scope
 * `Subscriber-<queue's unique id>` in `notifier` holding its dead-letter queue and that
 * queue's alarm.
 *
 * @throws Error when an option is invalid or the queue is already subscribed.
 */
export function subscribeQueue(
  notifier: Construct,
  topic: ITopic,
  alarms: NotifierAlarms,
  queue: IQueue,
  options: SubscriberOptions,
): Subscription {
  const filterPolicy = filterPolicyFor(notifier, options);
  const id = `Subscriber-${Names.nodeUniqueId(queue.node)}`;
  if (notifier.node.tryFindChild(id) !== undefined) {
    throw new Error(`addSubscriber: queue ${queue.node.path} is already subscribed`);
  }
  const scope = new Construct(notifier, id);
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeDeadLetterQueue(deadLetterQueue, 'an SNS subscription');
  alarms.addDeadLetterAlarm(
    scope,
    deadLetterQueue,
    `Messages for ${queue.node.path} that SNS could not deliver are waiting in its dead-letter queue`,
  );
  return topic.addSubscription(
    new SqsSubscription(queue, {
      rawMessageDelivery: options.rawMessageDelivery ?? true,
      deadLetterQueue,
      ...(Object.keys(filterPolicy).length === 0 ? {} : { filterPolicy }),
    }),
  );
}

/**
 * The app whose opt-out alerts `address` is to receive: `appId`, or the one seeded app when it
 * is left out.
 *
 * @throws ValidationError (on `notifier`) when the address is not an email address, the app id
 *   is malformed, or it is left out without a single seeded app.
 */
export function alertEmailApp(
  notifier: Construct,
  seededAppIds: readonly string[],
  address: string,
  appId: string | undefined,
): string {
  const app = appId ?? (seededAppIds.length === 1 ? seededAppIds[0] : undefined);
  const problem =
    emailProblem(address) ??
    (app === undefined
      ? `name the app whose opt-outs ${address} receives: with several apps, one address must not read every studio's members`
      : !REGISTRY_APP_ID.test(app)
        ? `"${app}" is not an app id`
        : undefined);
  if (problem !== undefined || app === undefined) {
    throw propsError(notifier, 'GleantapNotifierAlertEmail', [`addAlertEmail: ${problem ?? 'no app'}`]);
  }
  return app;
}
