// Types for the undici modules lib/gleantap/undici.ts imports one by one: each is the object
// the package root exports under that name (test/gleantap/undici.test.ts checks it).
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export = Agent;
}

declare module 'undici/lib/core/errors.js' {
  import type { errors } from 'undici';

  const undiciErrors: typeof errors;
  export = undiciErrors;
}

declare module 'undici/lib/interceptor/retry.js' {
  import type { interceptors } from 'undici';

  const retry: typeof interceptors.retry;
  export = retry;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}
