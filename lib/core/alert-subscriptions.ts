/**
 * Are the staff alert e-mails still subscribed? SNS's own subscription metrics cannot say: an
 * address whose owner clicked "unsubscribe" simply stops existing, and one that was never
 * confirmed receives nothing and fails nothing. So a scheduled check lists the topic's
 * subscriptions (ListSubscriptionsByTopic) and compares them with the addresses the stack
 * subscribed; this is the comparison.
 */

/** One member of a ListSubscriptionsByTopic answer. */
export interface ListedSubscription {
  /** A subscription ARN, or `PendingConfirmation` / `Deleted` while it is not one. */
  readonly subscriptionArn: string;
  readonly protocol: string;
  readonly endpoint: string;
}

/** The expected addresses, sorted into what SNS says of each. */
export interface AlertSubscriptionCheck {
  readonly confirmed: readonly string[];
  /** Subscribed but never confirmed: the recipient has not clicked the link in AWS's mail. */
  readonly pending: readonly string[];
  /** Not subscribed at all: unsubscribed (the link in every alert), deleted, or expired unconfirmed. */
  readonly missing: readonly string[];
}

/** What ListSubscriptionsByTopic shows in place of an ARN until the recipient confirms. */
export const PENDING_CONFIRMATION = 'PendingConfirmation';

const EMAIL_PROTOCOLS = new Set(['email', 'email-json']);

/**
 * Compares the e-mail subscriptions SNS lists with the addresses expected. Addresses compare
 * case-insensitively (mail systems do, for the domain and in practice the local part); a
 * confirmed subscription wins over a pending one of the same address. Subscriptions of other
 * protocols and unexpected addresses are not the check's concern.
 */
export function checkAlertSubscriptions(
  expected: readonly string[],
  listed: readonly ListedSubscription[],
): AlertSubscriptionCheck {
  const state = new Map<string, 'confirmed' | 'pending'>();
  for (const subscription of listed) {
    if (!EMAIL_PROTOCOLS.has(subscription.protocol)) continue;
    const key = subscription.endpoint.trim().toLowerCase();
    if (subscription.subscriptionArn.startsWith('arn:')) state.set(key, 'confirmed');
    else if (subscription.subscriptionArn === PENDING_CONFIRMATION && state.get(key) !== 'confirmed')
      state.set(key, 'pending');
  }
  const confirmed: string[] = [];
  const pending: string[] = [];
  const missing: string[] = [];
  for (const address of new Set(expected)) {
    const found = state.get(address.trim().toLowerCase());
    (found === 'confirmed' ? confirmed : found === 'pending' ? pending : missing).push(address);
  }
  return { confirmed, pending, missing };
}
