import { createHash } from 'node:crypto';

/**
 * A deterministic id: sha256 of `encoded`, formatted as an RFC 9562 UUIDv8 (version 8 =
 * custom, e.g. hash-based), lowercase. Equal input gives an equal id. The UUID form also fits
 * SNS PublishBatch entry ids (≤ 80 characters of [A-Za-z0-9_-]).
 */
export function hashedUuid(encoded: string): string {
  const bytes = createHash('sha256').update(encoded).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
