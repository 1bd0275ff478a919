/**
 * `replay --to-queue URL`: archived events go to one subscriber's queue, never to the
 * topic, so other subscribers and the staff email get no duplicates.
 */
import type { EventPublisher } from '../ports.ts';
import { UsageError } from './cli-contract.ts';
import { sendEventsToQueue, sqsClientFor } from './queue-delivery.ts';

/**
 * A publisher whose every message goes to the queue at `queueUrl`, as raw SNS delivery
 * would hand it over.
 * @throws UsageError when `queueUrl` is not an http(s) URL
 */
export const queuePublisher = async (
  queueUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<EventPublisher & { destroy(): void }> => {
  let client: ReturnType<typeof sqsClientFor>;
  try {
    client = sqsClientFor(queueUrl, env);
  } catch (error) {
    throw new UsageError(`--to-queue: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    publish: (messages) => sendEventsToQueue(client, queueUrl, messages),
    destroy: () => client.destroy(),
  };
};
