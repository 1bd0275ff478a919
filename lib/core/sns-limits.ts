/**
 * SNS's limits in one place. Those on one published message: the publisher batches by them,
 * and the poll checks every message of a customer's change against them before any is sent
 * (all or nothing per customer: a change whose opt-out message cannot go out must not go out
 * half). And the one on a subscription's filter policy, which the constructs check.
 *
 * Limits (Amazon SNS quotas, PublishBatch): 10 entries and 256 KiB per call, where SNS counts
 * the message, the subject and each attribute's name, type and value; a subject of 1 to 99
 * printable ASCII characters; at most 10 message attributes, each with a non-empty value.
 */
import type { OutboundMessage } from './types.ts';

/** PublishBatch takes at most 10 entries per call. */
export const MAX_BATCH_ENTRIES = 10;
/** 256 KiB per message and per PublishBatch call (messages plus attributes). */
export const MAX_BATCH_BYTES = 262_144;
/** SNS accepts at most 10 message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** SNS requires a `Subject` shorter than 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;
/**
 * SNS rejects a subscription filter policy whose value combinations exceed this (Amazon SNS
 * quotas, filter policies): the constructs check subscriber and alert filters against it.
 */
export const MAX_FILTER_POLICY_COMBINATIONS = 150;

/** UTF-8 length of `text` without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes SNS counts for one entry: the message, the subject and every attribute's name, type and value. */
export function entrySize(message: Pick<OutboundMessage, 'message' | 'subject' | 'attributes'>): number {
  let size = utf8Length(message.message) + (message.subject ? utf8Length(message.subject) : 0);
  for (const [name, attribute] of Object.entries(message.attributes)) {
    size += utf8Length(name) + attribute.DataType.length + utf8Length(attribute.StringValue);
  }
  return size;
}

/** Why SNS could never accept `message` (one sentence, no customer data), or undefined when it can. */
export function snsLimitProblem(message: OutboundMessage): string | undefined {
  const size = entrySize(message);
  if (size > MAX_BATCH_BYTES)
    return `the ${message.type} message is ${size} bytes, over SNS's ${MAX_BATCH_BYTES}`;
  const attributes = Object.entries(message.attributes);
  if (attributes.length > MAX_MESSAGE_ATTRIBUTES)
    return `the ${message.type} message has ${attributes.length} attributes, over SNS's ${MAX_MESSAGE_ATTRIBUTES}`;
  for (const [name, attribute] of attributes)
    if (attribute.StringValue === '') return `the ${message.type} message's attribute ${name} is empty`;
  if (message.subject !== undefined && !/^[\x20-\x7e]{1,99}$/.test(message.subject))
    return `the ${message.type} message's subject is not 1 to ${MAX_SUBJECT_LENGTH} printable ASCII characters`;
  return undefined;
}

/**
 * The first reason SNS could not accept one of a customer's messages, or undefined when every
 * one fits. Checked before any of them is sent: a change goes out whole or not at all.
 */
export function changeLimitProblem(messages: readonly OutboundMessage[]): string | undefined {
  for (const message of messages) {
    const problem = snsLimitProblem(message);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
