/**
 * A local Gleantap API: an HTTP server on 127.0.0.1 that serves
 * `POST /v2/ExternalApi/getCustomers` the way Gleantap's API reference documents it (the
 * rules below; what it leaves open is marked as a decision), over per-app populations that tests can
 * change, with injectable faults. Used by the client tests, `npm start`, and the fault and
 * benchmark suites.
 *
 * Rules it enforces (the undocumented ones are decisions, marked so):
 * - Both `X-API-KEY` and `X-SECRET-KEY` must match the configured keys: 401 otherwise,
 *   checked before the body. Error bodies are `{"status":false,"message":"..."}` (decision:
 *   the real error format is undocumented).
 * - The body must be a JSON object with a non-empty string `app_id` (400). `limit` is an
 *   integer 1..1000 (400); when absent it defaults to {@link GleantapSimulatorOptions.defaultLimit}
 *   (decision: the real default is undocumented; a default below the maximum exposes a client
 *   that forgets to send `limit`). `offset` is an integer ≥ 0, default 0 (400).
 *   `updated_since` and `event_since_date` are `YYYY-MM-DD` dates (400). `fulldata` and
 *   `events` are booleans (400); `_id`, `user_id`, `email`, `phone` are strings (400) and
 *   filter by exact match. Unknown body fields are ignored.
 * - `updated_since` keeps the customers whose updated time falls on or after that day (UTC).
 * - Pages are served in a stable order (insertion order: creation appends, a `drift` fault
 *   prepends); the response is `{"members":[...]}` with no total.
 * - What the API leaves undocumented is a knob per app ({@link SourceQuirks}, set with
 *   `app(id).setQuirks()` or for every app with the `quirks` option): row order (insertion,
 *   by updated time ascending or descending), rows dropped after LIMIT (hidden members), a
 *   capped `limit`, the server's time zone (UTC−12 … +14) and whether `updated_since` is
 *   inclusive. `remove()` deletes a member; a {@link SimulatorClock} lets a test move time by days.
 *   The defaults are the friendly answers above, which the local demo uses.
 * - An app id with no population is served as an empty list (decision).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { JsonObject, JsonValue } from '../lib/core/types.ts';
import { type FaultKind, type FaultRule, SimulatorFaults } from './gleantap-simulator/faults.ts';
import {
  type PopulationEntry,
  type RawMember,
  SimulatedApp,
  type SourceQuirks,
} from './gleantap-simulator/population.ts';

export { SimulatorClock } from './gleantap-simulator/clock.ts';
export type { FaultHandle, FaultKind, FaultRule, PagePosition } from './gleantap-simulator/faults.ts';
export { SimulatorFaults } from './gleantap-simulator/faults.ts';
export type { RawMember, SeedOptions, SourceQuirks } from './gleantap-simulator/population.ts';
export { SimulatedApp } from './gleantap-simulator/population.ts';

/** The path the simulator serves, as the real API does. */
export const GET_CUSTOMERS_PATH = '/v2/ExternalApi/getCustomers';

/** Options of {@link startGleantapSimulator}. */
export interface GleantapSimulatorOptions {
  /** The key expected in `X-API-KEY`. @default 'sim-api-key' */
  readonly apiKey?: string;
  /** The key expected in `X-SECRET-KEY`. @default 'sim-secret-key' */
  readonly secretKey?: string;
  /** The port to listen on (127.0.0.1 only). @default 0 (any free port) */
  readonly port?: number;
  /** The clock that stamps updated times (epoch ms); tests move it to test `updated_since`. @default Date.now */
  readonly now?: () => number;
  /** Seed of the generator that drives `probability` faults. @default 1 */
  readonly seed?: number;
  /** The `limit` used when a request sends none. @default 100 */
  readonly defaultLimit?: number;
  /** The undocumented behaviours every app starts with; `app(id).setQuirks()` changes one app. @default friendly ones */
  readonly quirks?: SourceQuirks;
  /**
   * Milliseconds every valid getCustomers request waits before it is answered, like the real
   * API's page time (the benchmark uses it to measure prefetch). Changeable with
   * {@link GleantapSimulator.setLatency}. @default 0
   */
  readonly latencyMs?: number;
}

/** How a logged request ended. */
export type RequestOutcome = 'pending' | 'responded' | 'held' | 'client-closed' | 'reset';

/** One request to getCustomers as the simulator saw it. Header values (the keys) are never logged. */
export interface SimulatedRequest {
  /** 1-based count of getCustomers requests since start. */
  readonly n: number;
  /** The simulator clock when the request arrived. */
  readonly receivedAt: number;
  /** The parsed JSON body, when it was a JSON object. */
  readonly body: JsonObject | undefined;
  readonly appId: string | undefined;
  /** The `offset` the request asked for, when valid. */
  readonly offset: number | undefined;
  /** The status sent; undefined while pending, or when no response was sent (hang, reset). */
  readonly status: number | undefined;
  /** The fault applied to this request, if any. */
  readonly fault: FaultKind | undefined;
  readonly outcome: RequestOutcome;
  /** Rows served in the members array (0 unless a 200 with members was sent). */
  readonly rows: number;
  /** Which TCP connection carried the request (1-based, in order of arrival): shows keep-alive reuse. */
  readonly connection: number;
}

/** A running simulator. */
export interface GleantapSimulator {
  /** `http://127.0.0.1:PORT`: scheme and host, as the client's `baseUrl` expects. */
  readonly url: string;
  readonly apiKey: string;
  readonly secretKey: string;
  /** The population of an app, created empty on first use. */
  app(appId: string): SimulatedApp;
  readonly faults: SimulatorFaults;
  /** Every getCustomers request so far, in arrival order. */
  readonly requests: readonly SimulatedRequest[];
  /** Forgets the request log (the request counter that `request` triggers use keeps counting). */
  clearRequests(): void;
  /** Sets the delay before each valid getCustomers request is answered (0: none). */
  setLatency(ms: number): void;
  /** Stops the server: releases held (`hang`) requests and closes every connection. Idempotent. */
  close(): Promise<void>;
}

type MutableRequest = { -readonly [K in keyof SimulatedRequest]: SimulatedRequest[K] };

interface ValidRequest {
  readonly appId: string;
  readonly limit: number;
  readonly offset: number;
  readonly updatedSinceMs: number | undefined;
  readonly fulldata: boolean;
  readonly events: boolean;
  readonly match: ((record: RawMember) => boolean) | undefined;
}

const MAX_LIMIT = 1000;
const MAX_BODY_BYTES = 1 << 20;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

class BadRequest {
  constructor(readonly message: string) {}
}

/** Start of a `YYYY-MM-DD` day in UTC, or undefined when the text is not a real date. */
function parseDay(text: string): number | undefined {
  const m = DATE.exec(text);
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? ms
    : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validate(body: JsonObject, defaultLimit: number): ValidRequest {
  const appId = body.app_id;
  if (typeof appId !== 'string' || appId === '') throw new BadRequest('app_id is required');
  const limit = body.limit ?? defaultLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequest(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const offset = body.offset ?? 0;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new BadRequest('offset must be an integer of at least 0');
  }
  let updatedSinceMs: number | undefined;
  for (const field of ['updated_since', 'event_since_date'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    const ms = typeof value === 'string' ? parseDay(value) : undefined;
    if (ms === undefined) throw new BadRequest(`${field} must be a date in YYYY-MM-DD format`);
    if (field === 'updated_since') updatedSinceMs = ms;
  }
  for (const field of ['fulldata', 'events'] as const) {
    if (body[field] !== undefined && typeof body[field] !== 'boolean')
      throw new BadRequest(`${field} must be a boolean`);
  }
  const filters: [string, (record: RawMember) => JsonValue | undefined][] = [
    ['_id', (r) => r.id],
    ['user_id', (r) => r.id],
    ['email', (r) => r.email],
    ['phone', (r) => r.phone],
  ];
  const checks: ((record: RawMember) => boolean)[] = [];
  for (const [field, read] of filters) {
    const wanted = body[field];
    if (wanted === undefined) continue;
    if (typeof wanted !== 'string') throw new BadRequest(`${field} must be a string`);
    checks.push((record) => {
      const value = read(record);
      return value !== null && value !== undefined && String(value) === wanted;
    });
  }
  return {
    appId,
    limit,
    offset,
    updatedSinceMs,
    fulldata: body.fulldata === true,
    events: body.events === true,
    match: checks.length === 0 ? undefined : (record) => checks.every((check) => check(record)),
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function validLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`latencyMs must be a number of milliseconds >= 0, got ${ms}`);
  return ms;
}

const errorBody = (message: string) => JSON.stringify({ status: false, message });

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>' +
  '<body><h1>502 Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>';

/**
 * Starts a simulator on 127.0.0.1 and resolves once it is listening.
 * Rejects if the port cannot be bound.
 */
export async function startGleantapSimulator(
  options: GleantapSimulatorOptions = {},
): Promise<GleantapSimulator> {
  const apiKey = options.apiKey ?? 'sim-api-key';
  const secretKey = options.secretKey ?? 'sim-secret-key';
  const now = options.now ?? Date.now;
  const defaultLimit = options.defaultLimit ?? 100;
  let latencyMs = validLatency(options.latencyMs ?? 0);
  const apps = new Map<string, SimulatedApp>();
  const faults = new SimulatorFaults(options.seed ?? 1);
  let requests: MutableRequest[] = [];
  let counter = 0;
  const held = new Set<ServerResponse>();
  const connectionIds = new WeakMap<Socket, number>();
  let connections = 0;

  const app = (appId: string): SimulatedApp => {
    let population = apps.get(appId);
    if (population === undefined) {
      population = new SimulatedApp(appId, now);
      if (options.quirks !== undefined) population.setQuirks(options.quirks);
      apps.set(appId, population);
    }
    return population;
  };

  const serialize = (
    population: SimulatedApp,
    rows: readonly PopulationEntry[],
    request: ValidRequest,
  ): string => {
    const parts = rows.map((entry) => {
      if (entry.record === undefined || (!request.fulldata && !request.events)) return population.json(entry);
      const extra: RawMember = request.fulldata
        ? { visits: [], purchases: [], memberships: [], sales_notes: [] }
        : {};
      if (request.events) extra.events = [];
      return JSON.stringify({ ...entry.record, ...extra });
    });
    return `{"members":[${parts.join(',')}]}`;
  };

  const respondWithFault = (
    req: IncomingMessage,
    res: ServerResponse,
    log: MutableRequest,
    rule: FaultRule,
    fullBody: () => string,
  ): void => {
    switch (rule.kind) {
      case '429': {
        const retryAfter = rule.retryAfter === undefined ? 1 : rule.retryAfter;
        log.status = 429;
        sendJson(
          res,
          429,
          errorBody('Too Many Requests'),
          retryAfter === null ? {} : { 'retry-after': String(retryAfter) },
        );
        return;
      }
      case '500': {
        const status = rule.status ?? 500;
        log.status = status;
        sendJson(res, status, errorBody('Internal Server Error'));
        return;
      }
      case 'hang':
        log.outcome = 'held';
        held.add(res);
        res.on('close', () => {
          held.delete(res);
          if (log.outcome === 'held') log.outcome = 'client-closed';
        });
        return;
      case 'truncated': {
        const full = Buffer.from(fullBody());
        log.status = 200;
        const half = full.subarray(0, Math.floor(full.length / 2));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(half.length) });
        res.end(half);
        return;
      }
      case 'html':
        log.status = 200;
        sendJson(res, 200, HTML_PAGE, {}, 'text/html; charset=utf-8');
        return;
      case 'reset': {
        log.outcome = 'reset';
        if (rule.at !== 'mid-body') {
          req.socket.destroy();
          return;
        }
        const full = Buffer.from(fullBody());
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
        res.write(full.subarray(0, Math.floor(full.length / 2)), () => req.socket.destroy());
        return;
      }
      case 'empty':
        log.status = 200;
        log.rows = 0;
        sendJson(res, 200, '{"members":[]}');
        return;
      case 'drift':
        // Applied before the page is selected; see handle().
        return;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== GET_CUSTOMERS_PATH) {
      sendJson(res, 404, errorBody(`no such endpoint: ${path}`));
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, errorBody('use POST'), { allow: 'POST' });
      return;
    }
    counter += 1;
    const log: MutableRequest = {
      n: counter,
      receivedAt: now(),
      body: undefined,
      appId: undefined,
      offset: undefined,
      status: undefined,
      fault: undefined,
      outcome: 'pending',
      rows: 0,
      connection: connectionIds.get(req.socket) ?? 0,
    };
    requests.push(log);
    res.on('finish', () => {
      if (log.outcome === 'pending') log.outcome = 'responded';
    });
    res.on('close', () => {
      if (log.outcome === 'pending') log.outcome = 'client-closed';
    });

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > MAX_BODY_BYTES) {
        log.status = 413;
        sendJson(res, 413, errorBody('request body too large'));
        return;
      }
      chunks.push(buffer);
    }

    if (req.headers['x-api-key'] !== apiKey || req.headers['x-secret-key'] !== secretKey) {
      log.status = 401;
      sendJson(res, 401, errorBody('Invalid API key or secret key'));
      return;
    }

    let request: ValidRequest;
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new BadRequest('the request body is not valid JSON');
      }
      if (!isObject(parsed)) throw new BadRequest('the request body must be a JSON object');
      log.body = parsed;
      if (typeof parsed.app_id === 'string') log.appId = parsed.app_id;
      request = validate(parsed, defaultLimit);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      log.status = 400;
      sendJson(res, 400, errorBody(error.message));
      return;
    }
    log.offset = request.offset;
    if (latencyMs > 0) await delay(latencyMs);

    const population = app(request.appId);
    const query = {
      offset: request.offset,
      limit: request.limit,
      ...(request.updatedSinceMs === undefined ? {} : { updatedSinceMs: request.updatedSinceMs }),
      ...(request.match === undefined ? {} : { match: request.match }),
    };
    let rows = population.select(query);
    const rule = faults.match({
      request: log.n,
      appId: request.appId,
      offset: request.offset,
      last: rows.length < request.limit,
    });
    if (rule !== undefined) {
      log.fault = rule.kind;
      if (rule.kind === 'drift') {
        population.prependGenerated(rule.insert ?? 3);
        rows = population.select(query);
      } else {
        respondWithFault(req, res, log, rule, () => serialize(population, rows, request));
        return;
      }
    }
    log.status = 200;
    log.rows = rows.length;
    sendJson(res, 200, serialize(population, rows, request));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(
        res,
        500,
        errorBody(`simulator error: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    connectionIds.set(socket, connections);
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the simulator did not bind a TCP port');
  const { port } = address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    secretKey,
    app,
    faults,
    get requests() {
      return requests;
    },
    clearRequests() {
      requests = [];
    },
    setLatency(ms: number) {
      latencyMs = validLatency(ms);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const res of held) res.destroy();
        held.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
