/**
 * A lease held on one item of the state table: the holder's id and an expiry (epoch ms) in two
 * attributes of that item, taken with one conditional UpdateItem (when free, expired or already
 * the caller's) and kept by conditioning every later write to the item on the holder. The poll
 * lease (`leaseOwner` / `leaseExpiresAt` on `A#<app>` / `STATE`) and the reconciliation claim
 * (`rOwner` / `rExpires` on `A#<app>` / `RECONCILE`) are two such leases (layout in
 * table-schema.ts). A conditional write is atomic on its item, so no transaction is needed.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LeaseLostError } from '../ports.ts';

type Item = Record<string, AttributeValue>;

/** Options of an {@link ItemLease}. */
export interface ItemLeaseOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /**
   * The attribute that holds the holder's id. Both names go into the expressions as they are,
   * so neither may be a DynamoDB reserved word.
   */
  readonly ownerAttribute: string;
  /** The attribute that holds when the lease expires, epoch ms. */
  readonly expiresAttribute: string;
}

/** More of the item to set in the write that takes the lease. */
export interface AcquireAlso {
  /** SET clauses, comma-separated (`appId = :app`). */
  readonly set: string;
  readonly values: Item;
}

/** One kind of lease (a pair of attributes), on whichever item `key` names. */
export class ItemLease {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #owner: string;
  readonly #expires: string;

  constructor(options: ItemLeaseOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#owner = options.ownerAttribute;
    this.#expires = options.expiresAttribute;
  }

  /**
   * Takes the lease on `key` for `owner` until `now + ttlMs`, when no one holds it, its holder's
   * time is up, or `owner` holds it already (then it is extended), setting `also` in the same
   * write.
   *
   * @returns the item as written, or null when someone else holds the lease
   */
  async acquire(
    key: Item,
    owner: string,
    now: Date,
    ttlMs: number,
    also?: AcquireAlso,
  ): Promise<Item | null> {
    const o = this.#owner;
    const e = this.#expires;
    try {
      const out = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: `SET ${o} = :owner, ${e} = :expires${also === undefined ? '' : `, ${also.set}`}`,
          ConditionExpression: `attribute_not_exists(${o}) OR ${o} = :owner OR ${e} < :now`,
          ExpressionAttributeValues: {
            ':owner': { S: owner },
            ':expires': { N: String(now.getTime() + ttlMs) },
            ':now': { N: String(now.getTime()) },
            ...also?.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  /**
   * Applies `expression` to `key` only while `owner` holds the lease. `:owner` is bound here;
   * `values` binds the expression's other placeholders.
   *
   * @throws LeaseLostError (naming `appId`) when `owner` does not hold it
   */
  async updateHolding(
    key: Item,
    appId: string,
    owner: string,
    expression: string,
    values: Item,
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: `${this.#owner} = :owner`,
          ExpressionAttributeValues: { ...values, ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseLostError(appId);
      throw error;
    }
  }

  /** Gives the lease on `key` back; does nothing when `owner` no longer holds it. */
  async release(key: Item, owner: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: `REMOVE ${this.#owner}, ${this.#expires}`,
          ConditionExpression: `${this.#owner} = :owner`,
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      // Expired and taken by someone else: nothing of ours to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
