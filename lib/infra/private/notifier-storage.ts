/**
 * The notifier's storage: the customer-managed key and the state table it encrypts (keys from
 * `lib/aws/table-schema.ts`, the item layout documented there).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLE_KEY_SCHEMA } from '../../aws/table-schema.ts';
import { acknowledge } from './accepted-findings.ts';
import { encryptTableWith } from './table-encryption.ts';

const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

/**
 * One customer-managed key (id `TopicKey`) for the table and both topics: the table holds the
 * same names, emails and phones the events carry (snapshots and archived events), SNS cannot
 * let CloudWatch publish to a topic under the AWS-managed aws/sns key, and one key costs a third
 * of three. CloudWatch's use of it is limited to this account's alarms (see
 * `notifier-topics.ts`). It is kept as long as the table: a retained table under a deleted key
 * is unreadable.
 */
export function createEncryptionKey(scope: Construct, removalPolicy: RemovalPolicy): Key {
  const key = new Key(scope, 'TopicKey', {
    description: "Encrypts the Gleantap notifier's state table and topics",
    enableKeyRotation: true,
    removalPolicy,
    pendingWindow: Duration.days(7),
  });
  // Control Tower proactive controls (dev/control-tower-checks.ts) accepted here.
  acknowledge(key, 'CT.KMS.PR.3', [
    "The key policy is aws-cdk-lib's default (the account may delegate through IAM) plus",
    'CloudWatch for the alarm topic; no statement in this stack grants kms:CreateGrant.',
  ]);
  return key;
}

/** The state table (id `Table`): on-demand, point-in-time recovery, encrypted with `key`. */
export function createStateTable(scope: Construct, key: Key, removalPolicy: RemovalPolicy): ITableV2 {
  const table = new TableV2(scope, 'Table', {
    partitionKey: {
      name: TABLE_KEY_SCHEMA.partitionKey.name,
      type: ATTRIBUTE_TYPES[TABLE_KEY_SCHEMA.partitionKey.type],
    },
    sortKey: { name: TABLE_KEY_SCHEMA.sortKey.name, type: ATTRIBUTE_TYPES[TABLE_KEY_SCHEMA.sortKey.type] },
    timeToLiveAttribute: TABLE_KEY_SCHEMA.timeToLiveAttribute,
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy,
  });
  encryptTableWith(table, key);
  // aws-cdk-lib's d.ts declares TableV2's optional attributes as `T | undefined` where
  // ITableV2 has `T?`, which exactOptionalPropertyTypes rejects although the class
  // implements the interface; the widening is sound.
  return table as ITableV2;
}
