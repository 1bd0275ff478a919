/**
 * Verifies messages that SNS POSTs to an HTTP(S) subscription, and answers its
 * subscription handshake, the way AWS documents it ("Verifying the signatures of Amazon
 * SNS messages"): the string to sign is the message's fields as `Name\nvalue\n` in a fixed
 * order, signed SHA1withRSA (SignatureVersion 1) or SHA256withRSA (2) with the key in the
 * X.509 certificate at `SigningCertURL`, which must be an https URL on an SNS host.
 *
 * Written on node:crypto rather than taken from npm: the maintained validators
 * (sns-payload-validator, sns-validator) fetch the certificate themselves with no way to
 * inject the fetcher, so a test could only reach them by intercepting TLS to AWS hosts.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import https from 'node:https';

/** The fields of an SNS HTTP(S) message (envelope) that verification reads. */
export interface SnsHttpMessage {
  readonly Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: '1' | '2';
  readonly Signature: string;
  readonly SigningCertURL: string;
  readonly Subject?: string;
  readonly Token?: string;
  readonly SubscribeURL?: string;
  readonly UnsubscribeURL?: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

/** Why a message was rejected; `code` is stable, the message names the field. */
export class SnsVerificationError extends Error {
  override readonly name = 'SnsVerificationError';
  readonly code: 'malformed' | 'cert_url' | 'certificate' | 'signature' | 'topic';

  constructor(code: SnsVerificationError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Fetches the PEM text of a signing certificate. */
export type CertificateFetcher = (url: string) => Promise<string>;

/** Options of {@link createSnsVerifier}. */
export interface SnsVerifierOptions {
  /**
   * Fetches a certificate; only ever called with a URL that passed {@link isSnsCertificateUrl}.
   * @default an HTTPS GET with a 5 s timeout that accepts only a 200 with a PEM certificate
   */
  readonly fetchCertificate?: CertificateFetcher;
  /**
   * Accept messages of these topics only (exact ARNs). Set it: a signature proves a message
   * came from SNS, not from *your* topic.
   * @default - any topic
   */
  readonly topicArns?: readonly string[];
  /** How many certificates to keep; SNS rotates them rarely. @default 20 */
  readonly cacheSize?: number;
}

/** Checks SNS messages; certificates are fetched once per URL and cached. */
export interface SnsVerifier {
  /**
   * Parses (when given text) and verifies one message.
   * @returns the verified message
   * @throws SnsVerificationError when it is malformed, from another host or topic, or its signature does not hold
   */
  verify(body: unknown): Promise<SnsHttpMessage>;
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * True when `url` may serve an SNS signing certificate: https, an SNS regional host
 * (`sns.<region>.amazonaws.com`, or `.com.cn`), no port or credentials, a `.pem` path.
 */
export const isSnsCertificateUrl = (url: string): boolean =>
  isSnsUrl(url) && new URL(url).pathname.endsWith('.pem');

/** True when `url` is https on an SNS regional host with no port or credentials. */
export const isSnsUrl = (url: string): boolean => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === '' &&
    SNS_HOST.test(parsed.hostname)
  );
};

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;

/** The exact text SNS signs for `message` (fields absent from the message are left out). */
export const snsStringToSign = (message: SnsHttpMessage): string => {
  const fields = message.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let text = '';
  for (const field of fields) {
    const value = message[field];
    if (value !== undefined) text += `${field}\n${value}\n`;
  }
  return text;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const REQUIRED_STRINGS = [
  'MessageId',
  'TopicArn',
  'Message',
  'Timestamp',
  'Signature',
  'SigningCertURL',
] as const;

/** Reads the envelope's fields, checking each one's type. @throws SnsVerificationError */
export const readSnsHttpMessage = (body: unknown): SnsHttpMessage => {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString());
    } catch {
      throw new SnsVerificationError('malformed', 'the body is not JSON');
    }
  }
  if (!isRecord(value)) throw new SnsVerificationError('malformed', 'the body is not a JSON object');
  const { Type, SignatureVersion } = value;
  if (Type !== 'Notification' && Type !== 'SubscriptionConfirmation' && Type !== 'UnsubscribeConfirmation') {
    throw new SnsVerificationError('malformed', `Type ${JSON.stringify(Type)} is not an SNS message type`);
  }
  if (SignatureVersion !== '1' && SignatureVersion !== '2') {
    throw new SnsVerificationError(
      'malformed',
      `SignatureVersion ${JSON.stringify(SignatureVersion)} is not 1 or 2`,
    );
  }
  const strings: Record<string, string> = {};
  for (const field of REQUIRED_STRINGS) {
    const field_value = value[field];
    if (typeof field_value !== 'string') throw new SnsVerificationError('malformed', `${field} is missing`);
    strings[field] = field_value;
  }
  const optional = (field: string): string | undefined => {
    const field_value = value[field];
    if (field_value === undefined || field_value === null) return undefined;
    if (typeof field_value !== 'string')
      throw new SnsVerificationError('malformed', `${field} is not a string`);
    return field_value;
  };
  const subject = optional('Subject');
  const token = optional('Token');
  const subscribeUrl = optional('SubscribeURL');
  const unsubscribeUrl = optional('UnsubscribeURL');
  if (Type !== 'Notification' && (token === undefined || subscribeUrl === undefined)) {
    throw new SnsVerificationError('malformed', `a ${Type} needs Token and SubscribeURL`);
  }
  return {
    Type,
    SignatureVersion,
    MessageId: strings.MessageId ?? '',
    TopicArn: strings.TopicArn ?? '',
    Message: strings.Message ?? '',
    Timestamp: strings.Timestamp ?? '',
    Signature: strings.Signature ?? '',
    SigningCertURL: strings.SigningCertURL ?? '',
    ...(subject === undefined ? {} : { Subject: subject }),
    ...(token === undefined ? {} : { Token: token }),
    ...(subscribeUrl === undefined ? {} : { SubscribeURL: subscribeUrl }),
    ...(unsubscribeUrl === undefined ? {} : { UnsubscribeURL: unsubscribeUrl }),
  };
};

const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** GETs a certificate over HTTPS: 200 only, at most 64 KiB, 5 s. */
export const fetchCertificateOverHttps: CertificateFetcher = (url) =>
  new Promise((resolve, reject) => {
    const request = https.get(url, { timeout: 5000 }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`HTTP ${response.statusCode ?? 0}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > MAX_CERTIFICATE_BYTES) request.destroy(new Error('certificate larger than 64 KiB'));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timed out after 5000 ms')));
    request.on('error', reject);
  });

/** Creates a verifier with its own certificate cache. */
export const createSnsVerifier = (options: SnsVerifierOptions = {}): SnsVerifier => {
  const fetchCertificate = options.fetchCertificate ?? fetchCertificateOverHttps;
  const cacheSize = options.cacheSize ?? 20;
  const topics = options.topicArns === undefined ? undefined : new Set(options.topicArns);
  // Keyed by URL; holds the promise so concurrent messages share one fetch.
  const cache = new Map<string, Promise<X509Certificate>>();

  const certificate = (url: string): Promise<X509Certificate> => {
    const cached = cache.get(url);
    if (cached !== undefined) return cached;
    const loading = fetchCertificate(url).then(
      (pem) => {
        try {
          return new X509Certificate(pem);
        } catch {
          throw new SnsVerificationError(
            'certificate',
            `SigningCertURL ${url} did not serve an X.509 certificate`,
          );
        }
      },
      (error: unknown) => {
        throw new SnsVerificationError(
          'certificate',
          `SigningCertURL ${url} could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
    // A failed fetch is not cached: the next message tries again.
    loading.catch(() => cache.delete(url));
    cache.set(url, loading);
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return loading;
  };

  return {
    verify: async (body) => {
      const message = readSnsHttpMessage(body);
      if (topics !== undefined && !topics.has(message.TopicArn)) {
        throw new SnsVerificationError(
          'topic',
          `TopicArn ${message.TopicArn} is not one this receiver accepts`,
        );
      }
      if (!isSnsCertificateUrl(message.SigningCertURL)) {
        throw new SnsVerificationError(
          'cert_url',
          'SigningCertURL is not an https .pem URL on an SNS host (sns.<region>.amazonaws.com)',
        );
      }
      const cert = await certificate(message.SigningCertURL);
      const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
      verifier.update(snsStringToSign(message), 'utf8');
      let valid = false;
      try {
        valid = verifier.verify(cert.publicKey, message.Signature, 'base64');
      } catch {
        valid = false;
      }
      if (!valid) throw new SnsVerificationError('signature', 'the signature does not match the message');
      return message;
    },
  };
};

/** Requests a URL (GET) and resolves with the HTTP status. */
export type UrlRequester = (url: string) => Promise<number>;

const getOverHttps: UrlRequester = (url) =>
  new Promise((resolve, reject) => {
    const request = https.get(url, { timeout: 5000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy(new Error('timed out after 5000 ms')));
    request.on('error', reject);
  });

/**
 * Completes the subscription handshake for a verified `SubscriptionConfirmation` by
 * visiting its `SubscribeURL`, which must be on an SNS host (so a forged message cannot
 * make the receiver request an arbitrary URL).
 * @throws SnsVerificationError when the message is not a confirmation or its URL is not an SNS one; Error when SNS does not answer 200
 */
export const confirmSubscription = async (
  message: SnsHttpMessage,
  request: UrlRequester = getOverHttps,
): Promise<void> => {
  if (message.Type !== 'SubscriptionConfirmation' || message.SubscribeURL === undefined) {
    throw new SnsVerificationError('malformed', `a ${message.Type} is not a subscription confirmation`);
  }
  if (!isSnsUrl(message.SubscribeURL)) {
    throw new SnsVerificationError('cert_url', 'SubscribeURL is not an https URL on an SNS host');
  }
  const status = await request(message.SubscribeURL);
  if (status !== 200) throw new Error(`confirming the subscription: SNS answered HTTP ${status}`);
};
