/** A dynalite on 127.0.0.1 and clients of it, for the subscriber state tests. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, startDynalite } from '../../dev/local-stack.ts';

export interface LocalDynamo {
  readonly endpoint: string;
  client(): DynamoDBClient;
  close(): Promise<void>;
}

export const startLocalDynamo = async (): Promise<LocalDynamo> => {
  const server = await startDynalite();
  const clients: DynamoDBClient[] = [];
  return {
    endpoint: server.endpoint,
    client: () => {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: server.endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await server.close();
    },
  };
};
