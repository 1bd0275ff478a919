import http from 'node:http';
import https from 'node:https';
import type { RecordedAttribute } from './message.ts';
import { type SnsSigning, signSnsMessage } from './signing.ts';

/** A message as one subscription receives it. */
export interface DeliveredMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subscriptionArn: string;
  readonly protocol: string;
  readonly subject?: string;
  /** The protocol's text: for `MessageStructure=json`, its own key or else `default`. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, RecordedAttribute>>;
  /** ISO 8601 UTC publish time, as in the notification's `Timestamp`. */
  readonly timestamp: string;
}

/** The JSON document SNS POSTs to HTTP/HTTPS subscribers (and sends to `email-json`). */
export interface NotificationEnvelope {
  readonly Type: 'Notification';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: '1' | '2';
  readonly Signature: string;
  readonly SigningCertURL: string;
  readonly UnsubscribeURL: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

/**
 * Builds the notification envelope, signed as SNS signs it when `signing` is given;
 * otherwise the signature is a fixed placeholder, not a real one.
 */
export const notificationEnvelope = (
  delivered: DeliveredMessage,
  region: string,
  unsubscribeBase: string,
  signing?: SnsSigning,
): NotificationEnvelope => {
  const names = Object.keys(delivered.attributes);
  const attributes: Record<string, { Type: string; Value: string }> = {};
  for (const name of names) {
    const attribute = delivered.attributes[name];
    if (attribute === undefined) continue;
    attributes[name] = {
      Type: attribute.DataType,
      Value:
        attribute.StringValue ?? Buffer.from(attribute.BinaryValue ?? new Uint8Array()).toString('base64'),
    };
  }
  const unsigned = {
    Type: 'Notification' as const,
    MessageId: delivered.messageId,
    TopicArn: delivered.topicArn,
    ...(delivered.subject !== undefined ? { Subject: delivered.subject } : {}),
    Message: delivered.message,
    Timestamp: delivered.timestamp,
    UnsubscribeURL: `${unsubscribeBase}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(delivered.subscriptionArn)}`,
    ...(names.length > 0 ? { MessageAttributes: attributes } : {}),
  };
  if (signing !== undefined) return signSnsMessage(unsigned, signing);
  return {
    ...unsigned,
    SignatureVersion: '1',
    Signature: Buffer.from(`sns-stand-in:${delivered.messageId}`).toString('base64'),
    SigningCertURL: `https://sns.${region}.amazonaws.com/SimpleNotificationService-sns-stand-in.pem`,
  };
};

/**
 * The SQS queue URL behind a queue ARN on an SQS endpoint (`<endpoint>/<account>/<name>`,
 * the form the SQS stand-in serves), or undefined for anything that is not a queue ARN.
 */
export const queueUrlOf = (sqsEndpoint: string, queueArn: string): string | undefined => {
  const match = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:(\d{12}):([A-Za-z0-9_.-]{1,80})$/.exec(queueArn);
  return match === null ? undefined : `${sqsEndpoint}/${match[1]}/${match[2]}`;
};

/**
 * Sends one message to an SQS queue with the JSON protocol's SendMessage, as SNS does for a
 * subscribed queue. Resolves (never rejects) with the outcome.
 */
export const sendToQueue = (
  sqsEndpoint: string,
  queueUrl: string,
  body: string,
  attributes: Readonly<Record<string, { readonly DataType: string; readonly StringValue: string }>>,
  agent: http.Agent,
  timeoutMs: number,
): Promise<PostOutcome> =>
  postNotification(
    sqsEndpoint,
    JSON.stringify({
      QueueUrl: queueUrl,
      MessageBody: body,
      ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
    }),
    { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
    { http: agent, https: new https.Agent() },
    timeoutMs,
  );

/** The outcome of one HTTP delivery attempt. */
export type PostOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly error: string };

/**
 * POSTs one notification. Resolves (never rejects) with the status or the reason it
 * failed; a non-2xx status counts as a failure, as it does for SNS.
 */
export const postNotification = (
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  agents: { readonly http: http.Agent; readonly https: https.Agent },
  timeoutMs: number,
): Promise<PostOutcome> =>
  new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ ok: false, error: `invalid endpoint ${url}` });
      return;
    }
    const secure = target.protocol === 'https:';
    const request = (secure ? https : http).request(target, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: timeoutMs,
    });
    request.on('response', (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      response.on('end', () => {
        resolve(
          status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: `HTTP ${status}` },
        );
      });
      // An aborted response ends without 'end'; a promise resolves once, so this is a no-op otherwise.
      response.on('close', () => resolve({ ok: false, error: `connection closed (HTTP ${status})` }));
    });
    request.on('timeout', () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, error: error.message }));
    request.end(body);
  });
