/**
 * Signs the messages the stand-in POSTs to HTTP(S) subscribers as SNS does, so receivers
 * can be tested with a locally generated certificate. Written from AWS's description
 * ("Verifying the signatures of Amazon SNS messages") independently of the kit's verifier,
 * so a test of one against the other can catch a mistake in either.
 */
import { createSign } from 'node:crypto';

/** How the stand-in signs: a private key (PEM) and the URL subscribers will fetch the certificate from. */
export interface SnsSigning {
  readonly privateKeyPem: string;
  /** Put in `SigningCertURL`; for the kit's verifier it must look like an SNS host. */
  readonly certUrl: string;
  /** 1 = SHA1withRSA, 2 = SHA256withRSA. @default '2' */
  readonly signatureVersion?: '1' | '2';
}

/** The fields SNS signs, in order, by message type. */
const SIGNED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: [
    'Message',
    'MessageId',
    'SubscribeURL',
    'Timestamp',
    'Token',
    'TopicArn',
    'Type',
  ],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** Returns `fields` plus SignatureVersion, Signature and SigningCertURL. */
export const signSnsMessage = <T extends Readonly<Record<string, unknown>> & { readonly Type: string }>(
  fields: T,
  signing: SnsSigning,
): T & { SignatureVersion: '1' | '2'; Signature: string; SigningCertURL: string } => {
  const version = signing.signatureVersion ?? '2';
  const lines: string[] = [];
  for (const name of SIGNED_FIELDS[fields.Type] ?? []) {
    const value = fields[name];
    if (typeof value === 'string') lines.push(`${name}\n${value}\n`);
  }
  const signer = createSign(version === '1' ? 'sha1' : 'sha256');
  signer.update(lines.join(''));
  return {
    ...fields,
    SignatureVersion: version,
    Signature: signer.sign(signing.privateKeyPem, 'base64'),
    SigningCertURL: signing.certUrl,
  };
};
