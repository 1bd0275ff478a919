/**
 * The app registry: which Gleantap apps the deployment polls, and how, as items in the state
 * table, so `npx gleantap-notifier apps add|remove|list` changes the fleet without a redeploy.
 *
 * One item per app (pk `REGISTRY`, sk `APP#<appId>`, in one partition listed with one Query;
 * 5,000 apps are about 0.5 MB, one or two pages), its attributes documented with the other
 * items of the table in table-schema.ts. No customer data lives here.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { DispatchApp } from '../core/dispatch-plan.ts';
import { APP_ID_PATTERN, APP_ID_RULE } from '../core/settings.ts';
import { queryPrefix } from './item-pages.ts';
import { TABLE_KEY_SCHEMA } from './table-schema.ts';

const PK = TABLE_KEY_SCHEMA.partitionKey.name;
const SK = TABLE_KEY_SCHEMA.sortKey.name;
/** The registry's partition key value. */
export const REGISTRY_PARTITION = 'REGISTRY';
const SORT_PREFIX = 'APP#';
const BATCH_WRITE_LIMIT = 25;

/** The app id rule (lib/core/settings.ts), the one the runtime, the context and the construct use. */
export const REGISTRY_APP_ID = APP_ID_PATTERN;

/** Where a registration came from. */
export type RegistrationSource = 'cli' | 'context';

/** One registered app. */
export interface RegisteredApp extends DispatchApp {
  readonly addedAt: string;
  readonly source: RegistrationSource;
}

/** Options of {@link DynamoAppRegistry.add}. */
export interface AddAppOptions {
  /** Minutes between polls; absent for every dispatch interval. */
  readonly intervalMinutes?: number;
  readonly paused?: boolean;
  readonly source?: RegistrationSource;
}

/** What {@link DynamoAppRegistry.seed} changed. */
export interface SeedResult {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Checks an app id against {@link REGISTRY_APP_ID}.
 *
 * @throws Error naming the id when it does not match.
 */
export function assertAppId(appId: string): void {
  if (!REGISTRY_APP_ID.test(appId)) {
    throw new Error(`"${appId}" is not an app id: use ${APP_ID_RULE}.`);
  }
}

const keyOf = (appId: string): Record<string, AttributeValue> => ({
  [PK]: { S: REGISTRY_PARTITION },
  [SK]: { S: `${SORT_PREFIX}${appId}` },
});

function toApp(item: Record<string, AttributeValue>): RegisteredApp | null {
  const appId = item.app?.S;
  if (appId === undefined || !REGISTRY_APP_ID.test(appId)) return null;
  const interval = item.iv?.N === undefined ? null : Number(item.iv.N);
  return {
    appId,
    paused: item.paused?.BOOL ?? false,
    intervalMinutes: interval !== null && Number.isInteger(interval) && interval > 0 ? interval : null,
    addedAt: item.at?.S ?? '',
    source: item.src?.S === 'context' ? 'context' : 'cli',
  };
}

/** The registry in the state table. The client is injected, so tests use dynalite. */
export class DynamoAppRegistry {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  /** Every registered app, in app id order (strongly consistent: an app just added is listed). */
  async list(): Promise<RegisteredApp[]> {
    const apps: RegisteredApp[] = [];
    const pages = queryPrefix(this.#client, {
      tableName: this.#table,
      partition: REGISTRY_PARTITION,
      prefix: SORT_PREFIX,
      consistentRead: true,
    });
    for await (const items of pages) {
      for (const item of items) {
        const app = toApp(item);
        if (app) apps.push(app);
      }
    }
    return apps;
  }

  /**
   * Registers an app, or updates the settings of one already registered (keeping when and how
   * it was added).
   *
   * @returns 'added' or 'updated'
   * @throws Error when the app id or the interval is invalid.
   */
  async add(appId: string, now: Date, options: AddAppOptions = {}): Promise<'added' | 'updated'> {
    assertAppId(appId);
    const interval = options.intervalMinutes;
    if (interval !== undefined && (!Number.isInteger(interval) || interval < 1 || interval > 1440)) {
      throw new Error(`The interval of app ${appId} must be whole minutes from 1 to 1440, not ${interval}.`);
    }
    const out = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: keyOf(appId),
        // `at` is a reserved word in DynamoDB expressions: every name goes through #placeholders.
        UpdateExpression: `SET #app = :app, #paused = :paused, #at = if_not_exists(#at, :at), #src = if_not_exists(#src, :src)${
          interval === undefined ? ' REMOVE #iv' : ', #iv = :iv'
        }`,
        ExpressionAttributeNames: {
          '#app': 'app',
          '#paused': 'paused',
          '#at': 'at',
          '#src': 'src',
          '#iv': 'iv',
        },
        ExpressionAttributeValues: {
          ':app': { S: appId },
          ':paused': { BOOL: options.paused ?? false },
          ':at': { S: now.toISOString() },
          ':src': { S: options.source ?? 'cli' },
          ...(interval === undefined ? {} : { ':iv': { N: String(interval) } }),
        },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return out.Attributes?.app === undefined ? 'added' : 'updated';
  }

  /**
   * Unregisters an app: the dispatcher stops enqueuing its polls. Its snapshots and poll state
   * stay (adding it again resumes from its watermark).
   *
   * @returns whether it was registered
   */
  async remove(appId: string): Promise<boolean> {
    const out = await this.#client.send(
      new DeleteItemCommand({ TableName: this.#table, Key: keyOf(appId), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }

  /**
   * Makes the context-seeded part of the registry match `appIds` (the `gleantap:appIds` CDK
   * context): adds those missing, removes context-seeded apps no longer listed. Apps added with
   * the CLI are never touched, and an app already registered keeps its settings.
   *
   * @throws Error when an app id is invalid.
   */
  async seed(appIds: readonly string[], now: Date): Promise<SeedResult> {
    for (const appId of appIds) assertAppId(appId);
    const wanted = new Set(appIds);
    const current = await this.list();
    const registered = new Set(current.map((app) => app.appId));
    const added = [...wanted].filter((appId) => !registered.has(appId));
    const removed = current
      .filter((app) => app.source === 'context' && !wanted.has(app.appId))
      .map((app) => app.appId);
    await this.#writeAll([
      ...added.map(
        (appId): WriteRequest => ({
          PutRequest: {
            Item: {
              ...keyOf(appId),
              app: { S: appId },
              at: { S: now.toISOString() },
              src: { S: 'context' },
              paused: { BOOL: false },
            },
          },
        }),
      ),
      ...removed.map((appId): WriteRequest => ({ DeleteRequest: { Key: keyOf(appId) } })),
    ]);
    return { added, removed };
  }

  /** BatchWriteItem in 25s, re-sending what DynamoDB left unprocessed. */
  async #writeAll(requests: readonly WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      let batch = requests.slice(i, i + BATCH_WRITE_LIMIT);
      for (let attempt = 0; batch.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`DynamoDB left ${batch.length} registry writes unprocessed.`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
        const out = await this.#client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.#table]: batch } }),
        );
        batch = out.UnprocessedItems?.[this.#table] ?? [];
      }
    }
  }
}
