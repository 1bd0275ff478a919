/**
 * The heavy part of the CLI (AWS SDK clients, undici, the poll), loaded only once a command
 * has passed argument and configuration checks: usage errors and `--help` then answer without
 * loading the SDK.
 */
export {
  createAwsClients,
  createRunDependencies,
  keysForApp,
  resolveGleantapKeyring,
} from '../adapters.ts';
export { createStateTable } from '../aws/create-table.ts';
export { DynamoStateStore } from '../aws/dynamo-state-store.ts';
export { SnsPublisher } from '../aws/sns-publisher.ts';
export { createGleantapClient } from '../gleantap/client.ts';
export { pollApp } from '../poll.ts';
