/**
 * The package's root entry (`gleantap-notifier`): the CDK constructs for a user's own app.
 * The subscriber kit is `gleantap-notifier/subscriber`; the event contract (types, schemas,
 * type names) is `gleantap-notifier/events`.
 */
export {
  DEFAULT_GLEANTAP_BASE_URL,
  EVENT_TYPES,
  GleantapChangeNotifier,
  type GleantapChangeNotifierProps,
  type SubscriberOptions,
} from './infra/gleantap-change-notifier.ts';
export { NotifierStack, type NotifierStackProps } from './infra/notifier-stack.ts';
export { SubscriberFunction, type SubscriberFunctionProps } from './infra/subscriber-function.ts';
export { DEFAULT_WEBHOOK_DELIVERY_POLICY, Webhook, type WebhookProps } from './infra/webhook.ts';
