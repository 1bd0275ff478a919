/**
 * The environment of the alert subscription check (functions/alert-watch), set by
 * lib/infra/alert-subscription-watch.ts: one list, imported by both.
 */
export const ALERT_WATCH_ENVIRONMENT = {
  /** The topic the staff e-mail subscriptions are on. */
  topicArn: 'ALERT_TOPIC_ARN',
  /** A JSON array of the addresses the stack subscribed. */
  emails: 'ALERT_EMAILS',
} as const;
