import { paginateListSubscriptionsByTopic, type SNSClient } from '@aws-sdk/client-sns';
import type { ListedSubscription } from '../core/alert-subscriptions.ts';

/**
 * Every subscription of a topic, following `NextToken` (SNS pages them by 100).
 *
 * @throws the SDK's error when the topic does not exist or the caller may not list it.
 */
export async function listTopicSubscriptions(
  client: SNSClient,
  topicArn: string,
): Promise<ListedSubscription[]> {
  const listed: ListedSubscription[] = [];
  for await (const page of paginateListSubscriptionsByTopic({ client }, { TopicArn: topicArn })) {
    for (const s of page.Subscriptions ?? []) {
      listed.push({
        subscriptionArn: s.SubscriptionArn ?? '',
        protocol: s.Protocol ?? '',
        endpoint: s.Endpoint ?? '',
      });
    }
  }
  return listed;
}
