/**
 * The SNS filter policy of a subscription, built from its {@link SubscriberOptions} and checked
 * against the rules SNS enforces at deploy time (no empty value lists, at most
 * {@link MAX_FILTER_POLICY_COMBINATIONS} combinations), so a bad filter fails the synth.
 */
import { SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { REGISTRY_APP_ID } from '../../aws/app-registry.ts';
import { checkEventType } from '../../core/settings.ts';
import { MAX_FILTER_POLICY_COMBINATIONS } from '../../core/sns-limits.ts';
import type { SubscriberOptions } from '../gleantap-change-notifier-props.ts';
import { propsError } from './validation-error.ts';

/**
 * The filter policy on the message attributes `type`, `app_id` and `changed_fields`; empty
 * when no option narrows it.
 *
 * @throws ValidationError (on `scope`) when a type is not an event type; Error when a list is
 *   empty or holds an empty string, an app id is malformed, or there are too many combinations.
 */
export function filterPolicyFor(
  scope: IConstruct,
  options: SubscriberOptions,
): Record<string, SubscriptionFilter> {
  const policy: Record<string, SubscriptionFilter> = {};
  let combinations = 1;
  const add = (attribute: string, option: string, values: readonly string[] | undefined) => {
    if (values === undefined) return;
    if (values.length === 0) throw new Error(`addSubscriber: ${option} must not be empty when given`);
    if (values.some((v) => v.trim() === ''))
      throw new Error(`addSubscriber: ${option} must not contain empty strings`);
    const unique = [...new Set(values)];
    combinations *= unique.length;
    policy[attribute] = SubscriptionFilter.stringFilter({ allowlist: unique });
  };
  for (const type of options.types ?? []) {
    const problem = checkEventType(type);
    if (problem !== undefined)
      throw propsError(scope, 'GleantapNotifierSubscriberTypes', [`addSubscriber: types ${problem}`]);
  }
  // The fleet lives in the registry, not in the template: check the id's form only.
  for (const appId of options.appIds ?? []) {
    if (!REGISTRY_APP_ID.test(appId)) {
      throw new Error(`addSubscriber: appIds contains "${appId}", which is not an app id`);
    }
  }
  add('type', 'types', options.types);
  add('app_id', 'appIds', options.appIds);
  add('changed_fields', 'changedFields', options.changedFields);
  if (combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    throw new Error(
      `addSubscriber: types × appIds × changedFields gives ${combinations} combinations; SNS allows ${MAX_FILTER_POLICY_COMBINATIONS}`,
    );
  }
  return policy;
}
