import type { Customer } from '../../lib/core/types.ts';

/** A parsed customer with every documented field, subscribed to both channels; override any of them. */
export function customerFixture(id: string, overrides: Partial<Customer> = {}): Customer {
  return {
    id,
    firstname: `First${id}`,
    lastname: 'Last',
    email: `${id}@example.com`,
    phone: null,
    last_location: null,
    email_optout: 0,
    sms_optout: 0,
    created_date: null,
    ...overrides,
  };
}
