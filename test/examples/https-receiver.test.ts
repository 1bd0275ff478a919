import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../dev/local-stack.ts';
import { signSnsMessage } from '../../dev/sns-stand-in/signing.ts';
import { type SnsStandIn, startSnsStandIn } from '../../dev/sns-stand-in.ts';
import { createReceiver } from '../../examples/https-receiver/receiver.ts';
import type { Customer } from '../../lib/core/types.ts';
import { createMemoryApplyOnceStore } from '../../lib/subscriber/memory-apply-once-store.ts';
import { createSnsVerifier } from '../../lib/subscriber/sns-signature.ts';
import { type FixtureMessage, historyMessages, member } from '../subscriber/event-fixtures.ts';

const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local0123456789.pem';

describe('the HTTPS receiver example, fed by the SNS stand-in with real signatures', () => {
  let sns: SnsStandIn;
  let client: SNSClient;
  let server: http.Server;
  let url: string;
  let topicArn: string;
  let genuineKey: string;
  let attackerKey: string;
  const mirror = new Map<string, Customer>();
  const answers: string[] = [];
  const confirmed: string[] = [];

  beforeAll(async () => {
    const [genuine, attacker] = await Promise.all(
      ['sns.amazonaws.com', 'attacker.example'].map((name) =>
        selfsigned.generate([{ name: 'commonName', value: name }], { keySize: 2048, algorithm: 'sha256' }),
      ),
    );
    if (genuine === undefined || attacker === undefined) throw new Error('certificates');
    genuineKey = genuine.private;
    attackerKey = attacker.private;
    sns = await startSnsStandIn({ signing: { privateKeyPem: genuineKey, certUrl: CERT_URL } });
    client = new SNSClient({ region: 'us-east-1', endpoint: sns.endpoint, credentials: LOCAL_CREDENTIALS });
    topicArn = (await client.send(new CreateTopicCommand({ Name: 'events' }))).TopicArn ?? '';
    const listener = createReceiver({
      verifier: createSnsVerifier({
        topicArns: [topicArn],
        fetchCertificate: async (certUrl) => {
          if (certUrl !== CERT_URL) throw new Error(`unexpected certificate URL ${certUrl}`);
          return genuine.cert;
        },
      }),
      store: createMemoryApplyOnceStore(),
      onEvent: (event) => {
        if (event.type === 'customer.deleted') mirror.delete(event.subject);
        else mirror.set(event.subject, event.data.customer);
      },
      confirm: async (subscribeUrl) => {
        confirmed.push(subscribeUrl);
        return 200;
      },
      onAnswer: (status, reason) => answers.push(`${status} ${reason}`),
    });
    server = http.createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;
    await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: url }));
  });
  afterAll(async () => {
    client?.destroy();
    await sns?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const publish = async (message: FixtureMessage) => {
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message.published,
        ...(message.messageStructure === undefined ? {} : { MessageStructure: message.messageStructure }),
      }),
    );
    await sns.settled();
  };

  const post = async (body: unknown): Promise<number> => {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
    await response.text();
    return response.status;
  };

  it('applies genuine events once and in order, whatever SNS repeats or reorders', async () => {
    const [[created], [optedOut, optoutEvent], [renamed]] = historyMessages('studio-1', [
      member('7'),
      member('7', { email_optout: 1 }),
      member('7', { lastname: 'Byron' }),
    ]) as [[FixtureMessage], [FixtureMessage, FixtureMessage], [FixtureMessage]];
    for (const message of [created, renamed, optedOut, optoutEvent, renamed, created]) await publish(message);
    expect(answers).toEqual([
      '200 applied',
      '200 applied',
      '200 stale',
      '200 stale',
      '200 duplicate',
      '200 stale',
    ]);
    expect(mirror.get('7')).toEqual(renamed.event.data.customer);
    expect(sns.deliveries().every((d) => d.status === 'delivered')).toBe(true);
  });

  it('refuses a forged message and a tampered one, and applies nothing from them', async () => {
    answers.length = 0;
    const [[intruder]] = historyMessages('studio-1', [member('8', { lastname: 'Mallory' })]) as [
      [FixtureMessage],
    ];
    const notification = {
      Type: 'Notification',
      MessageId: 'forged-1',
      TopicArn: topicArn,
      Message: intruder.message,
      Timestamp: new Date().toISOString(),
    };
    expect(await post(signSnsMessage(notification, { privateKeyPem: attackerKey, certUrl: CERT_URL }))).toBe(
      403,
    );
    const genuine = signSnsMessage(notification, { privateKeyPem: genuineKey, certUrl: CERT_URL });
    const tampered = { ...genuine, Message: intruder.message.replace('Mallory', 'Eve') };
    expect(await post(tampered)).toBe(403);
    expect(await post({ ...genuine, SigningCertURL: 'https://attacker.example/cert.pem' })).toBe(403);
    expect(mirror.has('8')).toBe(false);
    // The untouched message is accepted: the refusals were about the changes.
    expect(await post(genuine)).toBe(200);
    expect(mirror.get('8')).toEqual(intruder.event.data.customer);
  });

  it('completes the subscription handshake for a signed confirmation only', async () => {
    const confirmation = {
      Type: 'SubscriptionConfirmation',
      MessageId: 'c-1',
      Token: 'token-1',
      TopicArn: topicArn,
      Message: 'You have chosen to subscribe.',
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=token-1',
      Timestamp: new Date().toISOString(),
    };
    expect(await post(signSnsMessage(confirmation, { privateKeyPem: attackerKey, certUrl: CERT_URL }))).toBe(
      403,
    );
    expect(confirmed).toEqual([]);
    expect(await post(signSnsMessage(confirmation, { privateKeyPem: genuineKey, certUrl: CERT_URL }))).toBe(
      200,
    );
    expect(confirmed).toEqual([confirmation.SubscribeURL]);
  });
});
