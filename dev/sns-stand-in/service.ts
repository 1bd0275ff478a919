import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
  type DeliveredMessage,
  notificationEnvelope,
  type PostOutcome,
  postNotification,
  queueUrlOf,
  sendToQueue,
} from './delivery.ts';
import { invalidParameter, notFound, SnsError } from './errors.ts';
import { type CallFailure, FaultBook } from './faults.ts';
import {
  compileFilterPolicy,
  type FilterPolicy,
  FilterPolicyError,
  type FilterPolicyInput,
  matchesFilterPolicy,
} from './filter-policy.ts';
import {
  MAX_PAYLOAD_BYTES,
  payloadBytes,
  type RecordedAttribute,
  textFor,
  type ValidMessage,
  validateMessage,
} from './message.ts';
import { el, type QueryNode, resultXml } from './query.ts';
import type { SnsSigning } from './signing.ts';

/** A message the stand-in accepted, in the order it accepted them. */
export interface RecordedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  /** The `Message` parameter as sent (for `MessageStructure=json`, the JSON document). */
  readonly message: string;
  readonly subject?: string;
  readonly messageStructure?: 'json';
  readonly attributes: Readonly<Record<string, RecordedAttribute>>;
  readonly receivedAt: Date;
  readonly action: 'Publish' | 'PublishBatch';
  /** The PublishBatch entry id, for batch messages. */
  readonly batchEntryId?: string;
}

/** Protocols a subscription can use. Only http/https and in-process subscribers are actually called. */
export type SubscriptionProtocol = 'http' | 'https' | 'email' | 'email-json' | 'sqs' | 'lambda';

const PROTOCOLS: ReadonlySet<string> = new Set<SubscriptionProtocol>([
  'http',
  'https',
  'email',
  'email-json',
  'sqs',
  'lambda',
]);
const isProtocol = (value: string): value is SubscriptionProtocol => PROTOCOLS.has(value);

/** A subscription made through the API, or an in-process one made with `subscribe()`. */
export interface SubscriptionInfo {
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly protocol: SubscriptionProtocol;
  /** The endpoint (URL, address, ARN), or `in-process` for `subscribe()` callbacks. */
  readonly endpoint: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** One message handed to one subscription. */
export interface DeliveryRecord {
  readonly subscriptionArn: string;
  readonly protocol: SubscriptionProtocol;
  readonly endpoint: string;
  readonly message: DeliveredMessage;
  /**
   * `recorded`: email/sqs/lambda subscriptions, which the stand-in does not call;
   * `pending`: an HTTP POST in flight; `delivered` / `failed`: the outcome of a POST or callback.
   */
  readonly status: 'recorded' | 'pending' | 'delivered' | 'failed';
  readonly httpStatus?: number;
  readonly error?: string;
}

/** An in-process subscriber; a throw or rejection is recorded as a failed delivery, never fails the publish. */
export type LocalSubscriber = (message: DeliveredMessage) => void | Promise<void>;

/** Options of an in-process subscription. */
export interface LocalSubscribeOptions {
  /** Only messages whose attributes match are delivered. @default every message */
  readonly filterPolicy?: FilterPolicyInput;
  /** Which text of a `MessageStructure=json` message the callback gets. @default 'sqs' */
  readonly protocol?: SubscriptionProtocol;
}

interface Subscription extends SubscriptionInfo {
  readonly filterPolicy: FilterPolicy | undefined;
  readonly raw: boolean;
  readonly local: LocalSubscriber | undefined;
}

interface Topic {
  readonly arn: string;
  readonly name: string;
  readonly attributes: Map<string, string>;
  readonly subscriptions: Subscription[];
  messages: RecordedMessage[];
}

type MutableDelivery = { -readonly [K in keyof DeliveryRecord]: DeliveryRecord[K] };

/** Settings the HTTP layer passes to the service. */
export interface ServiceSettings {
  readonly region: string;
  readonly accountId: string;
  readonly random: () => number;
  readonly deliveryTimeoutMs: number;
  /** Where `sqs` subscriptions are delivered (an SQS-protocol endpoint); unset: only recorded. */
  readonly sqsEndpoint?: string;
  /** Signs HTTP(S) and SQS envelopes as SNS does; unset: a placeholder signature. */
  readonly signing?: SnsSigning;
  /** Email subscriptions wait for {@link SnsService.confirmSubscription}, as SNS's do for a click. */
  readonly pendingEmailConfirmation?: boolean;
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;
const MAX_BATCH_ENTRIES = 10;
const LIST_PAGE_SIZE = 100;
const CREATE_TOPIC_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'FifoTopic',
  'ContentBasedDeduplication',
  'ArchivePolicy',
]);
const SUBSCRIPTION_ATTRIBUTES = new Set([
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'DeliveryPolicy',
  'RedrivePolicy',
  'SubscriptionRoleArn',
  'ReplayPolicy',
]);

const readAttributes = (node: QueryNode | undefined): Map<string, string> => {
  const attributes = new Map<string, string>();
  for (const entry of node?.items('entry') ?? []) {
    const key = entry.get('key');
    if (key !== undefined) attributes.set(key, entry.get('value') ?? '');
  }
  return attributes;
};

const attributesXml = (attributes: Iterable<[string, string]>): string => {
  let xml = '';
  for (const [key, value] of attributes) xml += `<entry>${el('key', key)}${el('value', value)}</entry>`;
  return `<Attributes>${xml}</Attributes>`;
};

/**
 * The SNS state machine behind the HTTP endpoint: topics, subscriptions, recordings and
 * fan-out. Each action handler takes the parsed query and returns the XML result body
 * or throws an `SnsError`.
 */
export class SnsService {
  readonly faults: FaultBook;
  readonly #settings: ServiceSettings;
  readonly #topics = new Map<string, Topic>();
  readonly #subscriptions = new Map<string, Subscription>();
  #messages: RecordedMessage[] = [];
  #deliveries: MutableDelivery[] = [];
  #requestCount = 0;
  #requestsByAction = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
  };
  #endpoint = '';
  /** Subscription ARNs still waiting for confirmation (listed as `PendingConfirmation`). */
  readonly #pending = new Set<string>();

  constructor(settings: ServiceSettings) {
    this.#settings = settings;
    this.faults = new FaultBook(settings.random);
  }

  /** Set once the server listens: the base of every `UnsubscribeURL`. */
  set endpoint(url: string) {
    this.#endpoint = url;
  }

  get requestCount(): number {
    return this.#requestCount;
  }

  get requestsByAction(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#requestsByAction);
  }

  /** Counts one request and returns the injected failure for it, if a call rule fires. */
  admit(action: string): CallFailure | undefined {
    this.#requestCount += 1;
    this.#requestsByAction.set(action, (this.#requestsByAction.get(action) ?? 0) + 1);
    return this.faults.takeCallFailure(action);
  }

  /** Runs one action; returns the full XML response document. @throws SnsError */
  handle(action: string, query: QueryNode, requestId: string): string {
    switch (action) {
      case 'CreateTopic':
        return resultXml(action, this.#createTopic(query), requestId);
      case 'DeleteTopic':
        return resultXml(action, this.#deleteTopic(query), requestId);
      case 'ListTopics':
        return resultXml(action, this.#listTopics(query), requestId);
      case 'GetTopicAttributes':
        return resultXml(action, this.#getTopicAttributes(query), requestId);
      case 'Subscribe':
        return resultXml(action, this.#subscribeApi(query), requestId);
      case 'Unsubscribe':
        return resultXml(action, this.#unsubscribe(query), requestId);
      case 'ListSubscriptionsByTopic':
        return resultXml(action, this.#listSubscriptionsByTopic(query), requestId);
      case 'Publish':
        return resultXml(action, this.#publish(query), requestId);
      case 'PublishBatch':
        return resultXml(action, this.#publishBatch(query), requestId);
      default:
        throw new SnsError(
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this web service.`,
        );
    }
  }

  #topicArn(name: string): string {
    return `arn:aws:sns:${this.#settings.region}:${this.#settings.accountId}:${name}`;
  }

  /** Resolves a topic ARN parameter: missing or malformed → InvalidParameter, unknown → NotFound. */
  #topic(arn: string | undefined, parameter = 'TopicArn'): Topic {
    if (arn === undefined || arn === '') {
      throw invalidParameter(`${parameter} Reason: no value for required parameter`);
    }
    if (!TOPIC_ARN.test(arn)) throw invalidParameter(`${parameter}`);
    const topic = this.#topics.get(arn);
    if (topic === undefined) throw notFound('Topic does not exist');
    return topic;
  }

  #createTopic(query: QueryNode): string {
    const name = query.get('Name') ?? '';
    if (name.endsWith('.fifo')) {
      throw invalidParameter('Topic Name: FIFO topics are not supported by the SNS stand-in');
    }
    if (!TOPIC_NAME.test(name)) {
      throw invalidParameter(
        'Topic Name: must be 1-256 characters: letters, numbers, hyphens and underscores (Service: Sns)',
      );
    }
    const attributes = readAttributes(query.at('Attributes'));
    for (const key of attributes.keys()) {
      if (!CREATE_TOPIC_ATTRIBUTES.has(key))
        throw invalidParameter(`Attributes Reason: Unknown attribute ${key}`);
    }
    const arn = this.#topicArn(name);
    const existing = this.#topics.get(arn);
    if (existing !== undefined) {
      // SNS: CreateTopic is idempotent only when the attributes asked for match the topic's.
      for (const [key, value] of attributes) {
        if (existing.attributes.get(key) !== value) {
          throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
        }
      }
    } else {
      this.#topics.set(arn, { arn, name, attributes, subscriptions: [], messages: [] });
    }
    return el('TopicArn', arn);
  }

  #deleteTopic(query: QueryNode): string {
    const arn = query.get('TopicArn');
    // DeleteTopic of a topic that does not exist succeeds in SNS; only malformed input fails.
    if (arn === undefined || !TOPIC_ARN.test(arn)) throw invalidParameter('TopicArn');
    const topic = this.#topics.get(arn);
    if (topic !== undefined) {
      for (const subscription of topic.subscriptions)
        this.#subscriptions.delete(subscription.subscriptionArn);
      this.#topics.delete(arn);
    }
    return '';
  }

  #listTopics(query: QueryNode): string {
    const token = query.get('NextToken');
    const start = token === undefined || token === '' ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('NextToken');
    const arns = [...this.#topics.keys()];
    const page = arns.slice(start, start + LIST_PAGE_SIZE);
    const members = page.map((arn) => `<member>${el('TopicArn', arn)}</member>`).join('');
    const next = start + LIST_PAGE_SIZE < arns.length ? el('NextToken', String(start + LIST_PAGE_SIZE)) : '';
    return `<Topics>${members}</Topics>${next}`;
  }

  #getTopicAttributes(query: QueryNode): string {
    const topic = this.#topic(query.get('TopicArn'));
    const confirmed = topic.subscriptions.filter((s) => s.local === undefined).length;
    const attributes = new Map<string, string>([
      ['TopicArn', topic.arn],
      ['Owner', this.#settings.accountId],
      ['DisplayName', ''],
      ['SubscriptionsConfirmed', String(confirmed)],
      ['SubscriptionsPending', '0'],
      ['SubscriptionsDeleted', '0'],
      [
        'Policy',
        JSON.stringify({
          Version: '2008-10-17',
          Id: '__default_policy_ID',
          Statement: [
            {
              Sid: '__default_statement_ID',
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: ['SNS:Publish', 'SNS:Subscribe', 'SNS:GetTopicAttributes'],
              Resource: topic.arn,
              Condition: { StringEquals: { 'AWS:SourceOwner': this.#settings.accountId } },
            },
          ],
        }),
      ],
      ...topic.attributes,
    ]);
    return attributesXml(attributes);
  }

  #compilePolicy(input: FilterPolicyInput): FilterPolicy {
    try {
      return compileFilterPolicy(input);
    } catch (error) {
      if (error instanceof FilterPolicyError) throw invalidParameter(`FilterPolicy: ${error.message}`);
      throw error;
    }
  }

  #subscribeApi(query: QueryNode): string {
    const topic = this.#topic(query.get('TopicArn'));
    const protocol = query.get('Protocol') ?? '';
    if (!isProtocol(protocol)) {
      throw invalidParameter(`Amazon SNS does not support this protocol string: ${protocol}`);
    }
    const endpoint = query.get('Endpoint') ?? '';
    if ((protocol === 'http' || protocol === 'https') && !endpoint.startsWith(`${protocol}://`)) {
      throw invalidParameter(`Endpoint must match the specified protocol`);
    }
    if (endpoint === '') throw invalidParameter('Endpoint Reason: no value for required parameter');
    const attributes = readAttributes(query.at('Attributes'));
    for (const key of attributes.keys()) {
      if (!SUBSCRIPTION_ATTRIBUTES.has(key))
        throw invalidParameter(`Attributes Reason: Unknown attribute ${key}`);
    }
    const scope = attributes.get('FilterPolicyScope') ?? 'MessageAttributes';
    if (scope !== 'MessageAttributes') {
      throw invalidParameter(
        `FilterPolicyScope: ${scope} is not supported by the SNS stand-in (only MessageAttributes)`,
      );
    }
    const policyText = attributes.get('FilterPolicy');
    const filterPolicy = policyText === undefined ? undefined : this.#compilePolicy(policyText);
    const raw = attributes.get('RawMessageDelivery');
    if (raw !== undefined && raw !== 'true' && raw !== 'false') {
      throw invalidParameter(
        `Attributes Reason: RawMessageDelivery: Invalid value [${raw}]. Must be true or false.`,
      );
    }
    // SNS: subscribing the same endpoint twice returns the existing subscription.
    const existing = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (existing !== undefined) return el('SubscriptionArn', existing.subscriptionArn);
    // The stand-in has no confirmation handshake: every subscription is confirmed at once.
    const subscription: Subscription = {
      subscriptionArn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      attributes: Object.fromEntries(attributes),
      filterPolicy,
      raw: raw === 'true',
      local: undefined,
    };
    this.#addSubscription(topic, subscription);
    if (this.#settings.pendingEmailConfirmation && (protocol === 'email' || protocol === 'email-json')) {
      this.#pending.add(subscription.subscriptionArn);
      // SNS answers this (not an ARN) until the recipient confirms.
      return el('SubscriptionArn', 'pending confirmation');
    }
    return el('SubscriptionArn', subscription.subscriptionArn);
  }

  #addSubscription(topic: Topic, subscription: Subscription): void {
    topic.subscriptions.push(subscription);
    this.#subscriptions.set(subscription.subscriptionArn, subscription);
  }

  #unsubscribe(query: QueryNode): string {
    const arn = query.get('SubscriptionArn');
    if (arn === undefined || arn === '')
      throw invalidParameter('SubscriptionArn Reason: no value for required parameter');
    if (!this.removeSubscription(arn)) throw notFound('Subscription does not exist');
    return '';
  }

  #listSubscriptionsByTopic(query: QueryNode): string {
    const topic = this.#topic(query.get('TopicArn'));
    const members = topic.subscriptions
      .filter((s) => s.local === undefined)
      .map(
        (s) =>
          `<member>${el('SubscriptionArn', this.#pending.has(s.subscriptionArn) ? 'PendingConfirmation' : s.subscriptionArn)}${el('Owner', this.#settings.accountId)}` +
          `${el('Protocol', s.protocol)}${el('Endpoint', s.endpoint)}${el('TopicArn', s.topicArn)}</member>`,
      )
      .join('');
    return `<Subscriptions>${members}</Subscriptions>`;
  }

  #publish(query: QueryNode): string {
    const targetArn = query.get('TopicArn') ?? query.get('TargetArn');
    if (targetArn === undefined && query.get('PhoneNumber') !== undefined) {
      throw invalidParameter('PhoneNumber: SMS is not supported by the SNS stand-in');
    }
    const topic = this.#topic(targetArn, 'TopicArn or TargetArn');
    const validated = validateMessage(query);
    if (!validated.ok) throw validated.error;
    const messageId = this.#accept(topic, validated.value, 'Publish', undefined);
    return el('MessageId', messageId);
  }

  #publishBatch(query: QueryNode): string {
    const topicArn = query.get('TopicArn');
    if (topicArn === undefined || topicArn === '') {
      throw invalidParameter('TopicArn Reason: no value for required parameter');
    }
    const entries = query.at('PublishBatchRequestEntries')?.items('member') ?? [];
    if (entries.length === 0)
      throw new SnsError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SnsError(
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
      );
    }
    const ids = new Set<string>();
    let totalBytes = 0;
    for (const entry of entries) {
      const id = entry.get('Id') ?? '';
      if (!BATCH_ENTRY_ID.test(id)) {
        throw new SnsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      ids.add(id);
      totalBytes += payloadBytes(entry);
    }
    if (ids.size !== entries.length) {
      throw new SnsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    if (totalBytes > MAX_PAYLOAD_BYTES) {
      throw new SnsError(
        'BatchRequestTooLong',
        `The length of all the messages put together is more than the limit of ${MAX_PAYLOAD_BYTES} bytes.`,
      );
    }
    const topic = this.#topic(topicArn);

    const plan = this.faults.takeEntryFailures();
    let successful = '';
    let failed = '';
    let validPosition = 0;
    for (const entry of entries) {
      const id = entry.get('Id') ?? '';
      const validated = validateMessage(entry);
      if (!validated.ok) {
        failed += this.#failedEntryXml(id, validated.error.code, validated.error.message, true);
        continue;
      }
      if (plan?.fails(id, validPosition) === true) {
        failed += this.#failedEntryXml(id, plan.code, plan.message, plan.senderFault);
      } else {
        const messageId = this.#accept(topic, validated.value, 'PublishBatch', id);
        successful += `<member>${el('Id', id)}${el('MessageId', messageId)}</member>`;
      }
      validPosition += 1;
    }
    return `<Successful>${successful}</Successful><Failed>${failed}</Failed>`;
  }

  #failedEntryXml(id: string, code: string, message: string, senderFault: boolean): string {
    return `<member>${el('Id', id)}${el('Code', code)}${el('Message', message)}${el('SenderFault', String(senderFault))}</member>`;
  }

  /** Records an accepted message and hands it to every subscription whose filter policy matches. */
  #accept(
    topic: Topic,
    valid: ValidMessage,
    action: RecordedMessage['action'],
    batchEntryId: string | undefined,
  ): string {
    const messageId = randomUUID();
    const receivedAt = new Date();
    const recorded: RecordedMessage = {
      messageId,
      topicArn: topic.arn,
      message: valid.message,
      ...(valid.subject !== undefined ? { subject: valid.subject } : {}),
      ...(valid.messageStructure !== undefined ? { messageStructure: valid.messageStructure } : {}),
      attributes: valid.attributes,
      receivedAt,
      action,
      ...(batchEntryId !== undefined ? { batchEntryId } : {}),
    };
    this.#messages.push(recorded);
    topic.messages.push(recorded);
    const timestamp = receivedAt.toISOString();
    for (const subscription of topic.subscriptions) {
      if (this.#pending.has(subscription.subscriptionArn)) continue;
      if (
        subscription.filterPolicy !== undefined &&
        !matchesFilterPolicy(subscription.filterPolicy, valid.attributes)
      ) {
        continue;
      }
      this.#deliver(subscription, {
        messageId,
        topicArn: topic.arn,
        subscriptionArn: subscription.subscriptionArn,
        protocol: subscription.protocol,
        ...(valid.subject !== undefined ? { subject: valid.subject } : {}),
        message: textFor(valid, subscription.protocol),
        attributes: valid.attributes,
        timestamp,
      });
    }
    return messageId;
  }

  #deliver(subscription: Subscription, message: DeliveredMessage): void {
    const record: MutableDelivery = {
      subscriptionArn: subscription.subscriptionArn,
      protocol: subscription.protocol,
      endpoint: subscription.endpoint,
      message,
      status: 'recorded',
    };
    this.#deliveries.push(record);
    if (subscription.local !== undefined) {
      this.#runLocal(subscription.local, message, record);
    } else if (subscription.protocol === 'http' || subscription.protocol === 'https') {
      this.#postHttp(subscription, message, record);
    } else if (subscription.protocol === 'sqs' && this.#settings.sqsEndpoint !== undefined) {
      this.#sendToQueue(this.#settings.sqsEndpoint, subscription, message, record);
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #runLocal(callback: LocalSubscriber, message: DeliveredMessage, record: MutableDelivery): void {
    const fail = (error: unknown): void => {
      record.status = 'failed';
      record.error = error instanceof Error ? error.message : String(error);
    };
    try {
      const result = callback(message);
      if (result instanceof Promise) {
        record.status = 'pending';
        this.#track(
          result.then(() => {
            record.status = 'delivered';
          }, fail),
        );
      } else {
        record.status = 'delivered';
      }
    } catch (error) {
      fail(error);
    }
  }

  #postHttp(subscription: Subscription, message: DeliveredMessage, record: MutableDelivery): void {
    const body = subscription.raw
      ? message.message
      : JSON.stringify(
          notificationEnvelope(message, this.#settings.region, this.#endpoint, this.#settings.signing),
        );
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=UTF-8',
      'user-agent': 'Amazon Simple Notification Service Agent',
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': message.messageId,
      'x-amz-sns-topic-arn': message.topicArn,
      'x-amz-sns-subscription-arn': subscription.subscriptionArn,
      ...(subscription.raw ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
    };
    this.#record(
      record,
      postNotification(subscription.endpoint, body, headers, this.#agents, this.#settings.deliveryTimeoutMs),
    );
  }

  /** Marks a delivery pending until `attempt` settles, then records its outcome. */
  #record(record: MutableDelivery, attempt: Promise<PostOutcome>): void {
    record.status = 'pending';
    this.#track(
      attempt.then((outcome) => {
        if (outcome.ok) {
          record.status = 'delivered';
          record.httpStatus = outcome.status;
        } else {
          record.status = 'failed';
          record.error = outcome.error;
        }
      }),
    );
  }

  /**
   * Delivers to a subscribed queue as SNS does: with raw delivery the message text as the
   * body and the message attributes as SQS message attributes; otherwise the JSON envelope.
   */
  #sendToQueue(
    sqsEndpoint: string,
    subscription: Subscription,
    message: DeliveredMessage,
    record: MutableDelivery,
  ): void {
    const queueUrl = queueUrlOf(sqsEndpoint, subscription.endpoint);
    if (queueUrl === undefined) {
      record.status = 'failed';
      record.error = `${subscription.endpoint} is not an SQS queue ARN`;
      return;
    }
    const attributes: Record<string, { DataType: string; StringValue: string }> = {};
    if (subscription.raw) {
      for (const [name, attribute] of Object.entries(message.attributes)) {
        if (attribute.StringValue !== undefined) {
          attributes[name] = { DataType: attribute.DataType, StringValue: attribute.StringValue };
        }
      }
    }
    const body = subscription.raw
      ? message.message
      : JSON.stringify(
          notificationEnvelope(message, this.#settings.region, this.#endpoint, this.#settings.signing),
        );
    this.#record(
      record,
      sendToQueue(
        sqsEndpoint,
        queueUrl,
        body,
        attributes,
        this.#agents.http,
        this.#settings.deliveryTimeoutMs,
      ),
    );
  }

  /**
   * Adds an in-process subscriber. @throws Error when the topic does not exist or the
   * filter policy is invalid.
   */
  subscribeLocal(topicArn: string, callback: LocalSubscriber, options: LocalSubscribeOptions): string {
    const topic = this.#topics.get(topicArn);
    if (topic === undefined)
      throw new Error(`subscribe: topic ${topicArn} does not exist in the SNS stand-in`);
    let filterPolicy: FilterPolicy | undefined;
    if (options.filterPolicy !== undefined) {
      try {
        filterPolicy = compileFilterPolicy(options.filterPolicy);
      } catch (error) {
        throw new Error(
          `subscribe: invalid filter policy: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const subscription: Subscription = {
      subscriptionArn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol: options.protocol ?? 'sqs',
      endpoint: 'in-process',
      attributes:
        options.filterPolicy === undefined
          ? {}
          : {
              FilterPolicy:
                typeof options.filterPolicy === 'string'
                  ? options.filterPolicy
                  : JSON.stringify(options.filterPolicy),
            },
      filterPolicy,
      raw: false,
      local: callback,
    };
    this.#addSubscription(topic, subscription);
    return subscription.subscriptionArn;
  }

  /** Confirms a pending email subscription (the recipient clicked the link); false when none is pending. */
  confirmSubscription(subscriptionArn: string): boolean {
    return this.#pending.delete(subscriptionArn);
  }

  /** Removes a subscription of either kind; false when it does not exist. */
  removeSubscription(subscriptionArn: string): boolean {
    const subscription = this.#subscriptions.get(subscriptionArn);
    if (subscription === undefined) return false;
    this.#subscriptions.delete(subscriptionArn);
    this.#pending.delete(subscriptionArn);
    const topic = this.#topics.get(subscription.topicArn);
    if (topic !== undefined) {
      const index = topic.subscriptions.indexOf(subscription);
      if (index >= 0) topic.subscriptions.splice(index, 1);
    }
    return true;
  }

  messages(topicArn?: string): RecordedMessage[] {
    if (topicArn === undefined) return [...this.#messages];
    return [...(this.#topics.get(topicArn)?.messages ?? [])];
  }

  subscriptions(topicArn?: string): SubscriptionInfo[] {
    return [...this.#subscriptions.values()]
      .filter((s) => topicArn === undefined || s.topicArn === topicArn)
      .map(({ subscriptionArn, topicArn: arn, protocol, endpoint, attributes }) => ({
        subscriptionArn,
        topicArn: arn,
        protocol,
        endpoint,
        attributes,
      }));
  }

  deliveries(subscriptionArn?: string): DeliveryRecord[] {
    return this.#deliveries
      .filter((d) => subscriptionArn === undefined || d.subscriptionArn === subscriptionArn)
      .map((d) => ({ ...d }));
  }

  /** Resolves when every HTTP POST and async callback started so far has finished. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  reset(): void {
    this.#messages = [];
    this.#deliveries = [];
    for (const topic of this.#topics.values()) topic.messages = [];
    this.#requestCount = 0;
    this.#requestsByAction = new Map();
  }

  destroy(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
