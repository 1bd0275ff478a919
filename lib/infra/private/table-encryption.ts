import { CfnGlobalTable, type TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/**
 * Encrypts a single-region TableV2 at rest with a customer-managed key.
 *
 * `TableEncryptionV2.customerManagedKey` renders the key per replica region and so refuses a
 * region-agnostic stack, which this app is (synth runs offline, without an account). A
 * single-region table has one replica, in the stack's own region, so the key can be given to
 * it directly, as CloudFormation's `AWS::DynamoDB::GlobalTable` expects: `SSEType: KMS` on the
 * table and the key on the replica.
 *
 * Only for a table created without `replicas` (the construct's own). The caller grants the key to the table's readers and writers (TableV2's grants cover it
 * only when it renders the encryption itself).
 */
export function encryptTableWith(table: TableV2, key: IKey): void {
  const cfn = table.node.defaultChild;
  if (!(cfn instanceof CfnGlobalTable)) throw new Error('TableV2 without its CfnGlobalTable');
  cfn.sseSpecification = { sseEnabled: true, sseType: 'KMS' };
  cfn.addPropertyOverride('Replicas.0.SSESpecification', { KMSMasterKeyId: key.keyArn });
}
