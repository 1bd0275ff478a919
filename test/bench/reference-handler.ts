/**
 * The cold-start reference: a handler that imports the same AWS clients and undici the naive
 * way (root package imports, clients built at module load) and does the same kind of work.
 * The benchmark bundles it with the stack's esbuild settings and compares the poller with it.
 */
import { BatchGetItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { request } from 'undici';

const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});
const secrets = new SecretsManagerClient({});

export async function handler(event: { appId: string }): Promise<number> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.SECRET_ARN ?? '' }));
  const keys: { apiKey: string; secretKey: string } = JSON.parse(secret.SecretString ?? '{}');
  const response = await request('https://api.gleantap.com/v2/ExternalApi/getCustomers', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': keys.apiKey, 'x-secret-key': keys.secretKey },
    body: JSON.stringify({ app_id: event.appId, limit: 1000, offset: 0 }),
  });
  const { members }: { members: { id: string }[] } = JSON.parse(await response.body.text());
  const table = process.env.TABLE ?? '';
  await dynamodb.send(
    new BatchGetItemCommand({
      RequestItems: {
        [table]: { Keys: members.slice(0, 100).map((m) => ({ pk: { S: m.id }, sk: { S: 'S' } })) },
      },
    }),
  );
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'x' }, sk: { S: 'S' } } }));
  await sns.send(
    new PublishBatchCommand({
      TopicArn: process.env.TOPIC ?? '',
      PublishBatchRequestEntries: [{ Id: '0', Message: 'x' }],
    }),
  );
  return members.length;
}
