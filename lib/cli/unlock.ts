/**
 * `unlock --app-id ID [--force]`: frees the lease a dead poll left behind. Refuses an
 * unexpired lease unless forced (its holder may still be polling); frees only the lease it
 * looked at (conditioned on that owner), so a poll that took the lease meanwhile keeps it.
 */
import type { StateStore } from '../ports.ts';

export interface UnlockOptions {
  readonly appId: string;
  readonly force: boolean;
  readonly now: Date;
}

export type UnlockOutcome =
  | { readonly kind: 'free' }
  | { readonly kind: 'refused'; readonly owner: string; readonly expiresAt: string }
  | {
      readonly kind: 'released';
      readonly owner: string;
      readonly expiresAt: string;
      readonly expired: boolean;
    };

/** Frees the app's lease when it is expired or `force` is set. */
export async function unlockApp(
  store: Pick<StateStore, 'getPollState' | 'releaseLease'>,
  options: UnlockOptions,
): Promise<UnlockOutcome> {
  const state = await store.getPollState(options.appId);
  const lease = state?.lease ?? null;
  if (lease === null) return { kind: 'free' };
  const expired = Date.parse(lease.expiresAt) <= options.now.getTime();
  if (!expired && !options.force) return { kind: 'refused', ...lease };
  await store.releaseLease(options.appId, lease.owner);
  return { kind: 'released', ...lease, expired };
}

/** The sentence `unlock` prints for an outcome. */
export function unlockText(appId: string, outcome: UnlockOutcome): string {
  switch (outcome.kind) {
    case 'free':
      return `app ${appId}: no lease is held; nothing to do.\n`;
    case 'refused':
      return `app ${appId}: the lease is held by ${outcome.owner} until ${outcome.expiresAt} and has not expired. If that process is gone (check with status), run unlock --app-id ${appId} --force; otherwise wait for it.\n`;
    case 'released':
      return `app ${appId}: released the ${outcome.expired ? 'expired' : 'unexpired'} lease of ${outcome.owner} (until ${outcome.expiresAt}).\n`;
  }
}
