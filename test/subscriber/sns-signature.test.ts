import selfsigned from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SnsSigning, signSnsMessage } from '../../dev/sns-stand-in/signing.ts';
import {
  confirmSubscription,
  createSnsVerifier,
  isSnsCertificateUrl,
  SnsVerificationError,
} from '../../lib/subscriber/sns-signature.ts';

const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:gleantap-notifier-events';

let genuine: { cert: string; key: string };
let attacker: { cert: string; key: string };

beforeAll(async () => {
  const make = async (name: string) => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: name }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    return { cert: pems.cert, key: pems.private };
  };
  [genuine, attacker] = await Promise.all([make('sns.amazonaws.com'), make('attacker.example')]);
});

const notification = (overrides: Record<string, unknown> = {}) => ({
  Type: 'Notification',
  MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
  TopicArn: TOPIC,
  Subject: 'Customer 42 opted out of email',
  Message: '{"specversion":"1.0"}',
  Timestamp: '2026-01-01T00:00:00.000Z',
  UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
  ...overrides,
});

const signing = (key: string, version: '1' | '2' = '2', certUrl = CERT_URL): SnsSigning => ({
  privateKeyPem: key,
  certUrl,
  signatureVersion: version,
});

/** A verifier whose certificate host serves the genuine certificate; counts fetches. */
const verifier = (options: { topicArns?: string[] } = {}) => {
  const fetched: string[] = [];
  const verify = createSnsVerifier({
    ...options,
    fetchCertificate: async (url) => {
      fetched.push(url);
      return genuine.cert;
    },
  });
  return { verify: verify.verify, fetched };
};

const rejection = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SnsVerificationError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('SNS signature verification', () => {
  it.each(['1', '2'] as const)('accepts a genuine notification, SignatureVersion %s', async (version) => {
    const { verify } = verifier();
    const body = JSON.stringify(signSnsMessage(notification(), signing(genuine.key, version)));
    await expect(verify(body)).resolves.toMatchObject({ MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324' });
    const withoutSubject = notification();
    delete (withoutSubject as { Subject?: string }).Subject;
    await expect(verify(signSnsMessage(withoutSubject, signing(genuine.key, version)))).resolves.toBeTruthy();
  });

  it.each([
    ['Message', { Message: '{"specversion":"1.0","x":1}' }],
    ['Subject', { Subject: 'Something else' }],
    ['TopicArn', { TopicArn: `${TOPIC}-other` }],
    ['Timestamp', { Timestamp: '2026-01-01T00:00:01.000Z' }],
    ['MessageId', { MessageId: 'another' }],
  ])('rejects a notification whose %s was tampered with', async (_field, change) => {
    const { verify } = verifier();
    const signed = signSnsMessage(notification(), signing(genuine.key));
    expect(await rejection(verify({ ...signed, ...change }))).toBe('signature');
  });

  it('rejects a message signed with another key that points at the SNS certificate', async () => {
    const { verify } = verifier();
    expect(await rejection(verify(signSnsMessage(notification(), signing(attacker.key))))).toBe('signature');
  });

  it('rejects a v1 signature presented as v2', async () => {
    const { verify } = verifier();
    const signed = signSnsMessage(notification(), signing(genuine.key, '1'));
    expect(await rejection(verify({ ...signed, SignatureVersion: '2' }))).toBe('signature');
  });

  it.each([
    'https://attacker.example/SimpleNotificationService-x.pem',
    'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem',
    'https://sns.eu-west-1.amazonaws.com.attacker.example/x.pem',
    'https://sns.eu-west-1.amazonaws.com:8443/x.pem',
    'https://user@sns.eu-west-1.amazonaws.com/x.pem',
    'https://sqs.eu-west-1.amazonaws.com/x.pem',
    'https://sns.eu-west-1.amazonaws.com/x.txt',
    'not a url',
  ])('never fetches a certificate from %s', async (url) => {
    const { verify, fetched } = verifier();
    expect(isSnsCertificateUrl(url)).toBe(false);
    expect(await rejection(verify(signSnsMessage(notification(), signing(attacker.key, '2', url))))).toBe(
      'cert_url',
    );
    expect(fetched).toEqual([]);
  });

  it('accepts certificate hosts of every region, including China', () => {
    expect(
      isSnsCertificateUrl('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem'),
    ).toBe(true);
    expect(
      isSnsCertificateUrl('https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-a.pem'),
    ).toBe(true);
  });

  it('fetches each certificate once, also under concurrent messages', async () => {
    const { verify, fetched } = verifier();
    const bodies = Array.from({ length: 5 }, (_, i) =>
      signSnsMessage(notification({ MessageId: `m-${i}` }), signing(genuine.key)),
    );
    await Promise.all(bodies.map((body) => verify(body)));
    await verify(bodies[0]);
    expect(fetched).toEqual([CERT_URL]);
  });

  it('does not cache a failed fetch', async () => {
    let calls = 0;
    const { verify } = createSnsVerifier({
      fetchCertificate: async () => {
        calls += 1;
        if (calls === 1) throw new Error('HTTP 503');
        return genuine.cert;
      },
    });
    const body = signSnsMessage(notification(), signing(genuine.key));
    expect(await rejection(verify(body))).toBe('certificate');
    await expect(verify(body)).resolves.toBeTruthy();
  });

  it('accepts only the topics it was told to', async () => {
    const { verify } = verifier({ topicArns: [`${TOPIC}-mine`] });
    expect(await rejection(verify(signSnsMessage(notification(), signing(genuine.key))))).toBe('topic');
  });

  it.each([
    ['not JSON', '{'],
    ['no type', { ...notification(), Type: 'Other' }],
    [
      'bad version',
      () => ({ ...signSnsMessage(notification(), signing(genuine.key)), SignatureVersion: '3' }),
    ],
    ['no signature', { ...notification(), SignatureVersion: '2', SigningCertURL: CERT_URL }],
  ])('rejects a malformed message: %s', async (_name, body) => {
    const input = typeof body === 'function' ? body() : body;
    expect(await rejection(verifier().verify(input))).toBe('malformed');
  });
});

describe('subscription handshake', () => {
  const confirmation = (subscribeUrl: string) =>
    signSnsMessage(
      {
        Type: 'SubscriptionConfirmation',
        MessageId: 'c-1',
        Token: 'token-1',
        TopicArn: TOPIC,
        Message: 'You have chosen to subscribe to the topic.',
        SubscribeURL: subscribeUrl,
        Timestamp: '2026-01-01T00:00:00.000Z',
      },
      signing(genuine.key),
    );

  it('verifies the confirmation, then visits its SubscribeURL', async () => {
    const url = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=token-1';
    const message = await verifier().verify(confirmation(url));
    const visited: string[] = [];
    await confirmSubscription(message, async (target) => {
      visited.push(target);
      return 200;
    });
    expect(visited).toEqual([url]);
  });

  it('rejects a tampered Token', async () => {
    const signed = confirmation('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription');
    expect(await rejection(verifier().verify({ ...signed, Token: 'token-2' }))).toBe('signature');
  });

  it('never visits a SubscribeURL off an SNS host', async () => {
    const message = await verifier().verify(
      confirmation('https://attacker.example/?Action=ConfirmSubscription'),
    );
    const visited: string[] = [];
    await expect(
      confirmSubscription(message, async (target) => {
        visited.push(target);
        return 200;
      }),
    ).rejects.toThrow(SnsVerificationError);
    expect(visited).toEqual([]);
  });

  it('fails when SNS does not answer 200', async () => {
    const message = await verifier().verify(
      confirmation('https://sns.eu-west-1.amazonaws.com/?Action=Confirm'),
    );
    await expect(confirmSubscription(message, async () => 403)).rejects.toThrow(/HTTP 403/);
  });
});
