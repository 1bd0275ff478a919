/**
 * A counting HTTP proxy in front of dynalite: every DynamoDB request the poller sends is
 * counted here, at the stand-in's door, by its `X-Amz-Target` action. Counting at the
 * server (not in the SDK) also counts the SDK's own retries.
 */
import http from 'node:http';

export interface CountingProxy {
  readonly endpoint: string;
  /** Requests per DynamoDB action since start (a copy). */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 that forwards every request to `target` and counts it. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const byAction: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const header = req.headers['x-amz-target'];
    const action = typeof header === 'string' ? (header.split('.').pop() ?? header) : 'unknown';
    byAction[action] = (byAction[action] ?? 0) + 1;
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('counting proxy did not bind');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    counts: () => ({ ...byAction }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
