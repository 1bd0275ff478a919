/**
 * A subscriber Lambda for `notifier.addSubscriberFunction('Crm', { entry: 'handler.ts' })`:
 * every record is parsed, checked against the schemas and applied once, in order per
 * customer; duplicates and stale events never reach these functions, and a record whose
 * function throws is retried alone (partial batch response).
 *
 * In your project, import from the package instead of the relative path:
 *   import { createSqsHandler } from 'gleantap-notifier/subscriber';
 */
import { createSqsHandler } from '../../lib/subscriber/index.ts';

export const handler = createSqsHandler({
  onCreated: async (event) => {
    console.log('new customer', event.subject, 'of', event.data.app_id);
  },
  onUpdated: async (event) => {
    console.log('customer', event.subject, 'changed', event.data.changed_fields.join(', '));
  },
  onOptoutChanged: async (event) => {
    console.log(
      'customer',
      event.subject,
      event.data.opted_out ? 'opted out of' : 'opted in to',
      event.data.channel,
    );
  },
  onDeleted: async (event) => {
    console.log('customer', event.subject, 'of', event.data.app_id, 'is no longer in Gleantap');
  },
});
