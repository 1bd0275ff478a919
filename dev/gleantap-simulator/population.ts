/**
 * One app's customers in the Gleantap simulator: an ordered, mutable population with the
 * raw records exactly as `getCustomers` serves them, plus an updated time per record.
 *
 * Kept cheap at 100k customers: records live in one insertion-ordered array (the stable
 * order pages are served in) with an id index; each record's JSON is cached until it
 * changes, and the `updated_since` view is cached per date until the population changes,
 * so serving a page costs O(page) after the first request of a scan.
 */
import type { JsonValue } from '../../lib/core/types.ts';
import { hashString, seededRandom } from '../seeded-random.ts';

/** A member record as the simulator serves it (documented fields in varied representations, plus any extras). */
export type RawMember = { [key: string]: JsonValue };

/** Options of {@link SimulatedApp.seed}. */
export interface SeedOptions {
  /**
   * Seed of the generator: the same seed, count and starting state give the same members.
   * @default 1
   */
  readonly seed?: number;
  /**
   * Vary representations the way the real API is known to: about a fifth of ids as JSON
   * numbers, opt-outs as 0/1, "0"/"1", true/false or null, some null emails and phones,
   * `created_date` as ISO 8601 with `Z`, with an offset, without a zone, or as
   * `YYYY-MM-DD HH:MM:SS`. When false: string ids, integer opt-outs, ISO dates with `Z`,
   * and every email and phone present.
   * @default true
   */
  readonly varied?: boolean;
  /**
   * The updated time (epoch ms) given to the seeded members.
   * @default the simulator clock's now()
   */
  readonly updatedAt?: number;
}

/** @internal A stored record with its served position, updated time and cached JSON. */
export interface PopulationEntry {
  readonly key: string;
  /** The member; undefined for a row added with insertRaw(). */
  record: RawMember | undefined;
  /** The row as inserted by insertRaw(); undefined for members. */
  readonly raw: JsonValue | undefined;
  updatedAt: number;
  json: string | undefined;
}

/**
 * What Gleantap does not document, as knobs the tests turn (each one below). The defaults
 * are the friendly answers the local demo uses: insertion order, every row served, `limit`
 * honoured up to 1000, `updated_since` an inclusive UTC day.
 */
export interface SourceQuirks {
  /**
   * The order rows are served in. `insertion`: creation appends (a `drift` fault prepends);
   * `updated-asc` / `updated-desc`: by updated time (ties in insertion order), so an update
   * moves a row to the end or the front while a client pages.
   * @default 'insertion'
   */
  readonly order?: 'insertion' | 'updated-asc' | 'updated-desc';
  /**
   * The most rows one request is served; a larger `limit` is accepted and served this many
   * (a capped server makes every page short). @default 1000
   */
  readonly maxLimit?: number;
  /**
   * Rows dropped after LIMIT/OFFSET were applied (a hidden member): they take a position in
   * the offsets but are never served, so a page comes back short. @default none
   */
  readonly hidden?: (id: string) => boolean;
  /**
   * The server's time zone as minutes east of UTC (−720 … +840): the `updated_since` day is
   * that day in this zone. @default 0
   */
  readonly utcOffsetMinutes?: number;
  /**
   * `true`: `updated_since=D` keeps rows updated on or after the start of D; `false`: only
   * rows updated after the end of D (a `>` on dates). @default true
   */
  readonly updatedSinceInclusive?: boolean;
}

const DAY_MS = 86_400_000;

/** @internal What a getCustomers request selects. */
export interface PopulationQuery {
  readonly offset: number;
  readonly limit: number;
  /** The `updated_since` date as epoch ms of its start in UTC; the app's quirks say what it means. */
  readonly updatedSinceMs?: number;
  /** Exact-match filters (`_id`/`user_id`, `email`, `phone`); these make the request O(population). */
  readonly match?: (record: RawMember) => boolean;
}

const FIRST_NAMES = [
  'Ava',
  'Liam',
  'Mia',
  'Noah',
  'Zoe',
  'Omar',
  'Lena',
  'Mateo',
  'Priya',
  'Kenji',
  'Sofia',
  'Elijah',
  'Amara',
  'Lucas',
  'Chloe',
  'Diego',
  'Hana',
  'Jonas',
  'Leila',
  'Marcus',
  'Nia',
  'Oscar',
  'Ruby',
  'Tariq',
] as const;
const LAST_NAMES = [
  'Smith',
  'Garcia',
  'Nguyen',
  'Okafor',
  'Kowalski',
  'Tanaka',
  'Rossi',
  'Haddad',
  'Murphy',
  'Silva',
  'Patel',
  'Jensen',
  "O'Brien",
  'Müller',
  'Dubois',
  'Kim',
  'Andersen',
  'Costa',
  'Levi',
  'Novak',
] as const;
const LOCATIONS = [
  'Downtown Studio',
  'Riverside Gym',
  'North Hills Fitness',
  'Harbor Yoga',
  'Eastside CrossFit',
  'Westgate Pilates',
  'Midtown Barre',
  'Lakeside Club',
] as const;

const MIN_CREATED_MS = Date.UTC(2019, 0, 1);
const MAX_CREATED_MS = Date.UTC(2025, 11, 31);

type OptoutStyle = 'int' | 'string' | 'bool' | 'null-when-zero';
type DateStyle = 'iso-z' | 'iso-offset' | 'iso-no-zone' | 'naive';

function pick<T>(random: () => number, list: readonly T[]): T {
  const value = list[Math.floor(random() * list.length)];
  if (value === undefined) throw new Error('pick() needs a non-empty list');
  return value;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function formatDate(ms: number, style: DateStyle): string {
  // The +02:00 form shows the same instant in another zone, as a European server would.
  const shifted = style === 'iso-offset' ? ms + 2 * 3_600_000 : ms;
  const d = new Date(shifted);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  switch (style) {
    case 'iso-z':
      return `${date}T${time}Z`;
    case 'iso-offset':
      return `${date}T${time}+02:00`;
    case 'iso-no-zone':
      return `${date}T${time}`;
    case 'naive':
      return `${date} ${time}`;
  }
}

function optoutValue(optedOut: boolean, style: OptoutStyle): JsonValue {
  switch (style) {
    case 'int':
      return optedOut ? 1 : 0;
    case 'string':
      return optedOut ? '1' : '0';
    case 'bool':
      return optedOut;
    case 'null-when-zero':
      return optedOut ? 1 : null;
  }
}

/**
 * Generates one realistic member. Every random choice comes from `random`, in a fixed
 * order, so a seeded generator yields the same member every time.
 */
function generateMember(random: () => number, idNumber: number, varied: boolean): RawMember {
  const firstname = pick(random, FIRST_NAMES);
  const lastname = pick(random, LAST_NAMES);
  const location = pick(random, LOCATIONS);
  const created = MIN_CREATED_MS + Math.floor(random() * (MAX_CREATED_MS - MIN_CREATED_MS));
  const emailOut = random() < 0.08;
  const smsOut = random() < 0.1;
  const phoneDigits = pad(Math.floor(random() * 10_000_000), 7);
  const idRoll = random();
  const nullRoll = random();
  const optoutStyle = pick<OptoutStyle>(random, ['int', 'int', 'string', 'bool', 'null-when-zero']);
  const dateStyle = pick<DateStyle>(random, ['iso-z', 'iso-z', 'iso-offset', 'iso-no-zone', 'naive']);
  const localPart = `${firstname}.${lastname}`.toLowerCase().replace(/[^a-z.]/g, '');
  return {
    id: varied && idRoll < 0.2 ? idNumber : String(idNumber),
    firstname,
    lastname,
    email: varied && nullRoll < 0.1 ? null : `${localPart}${idNumber}@example.com`,
    phone: varied && nullRoll > 0.85 ? null : `+1555${phoneDigits}`,
    last_location: location,
    email_optout: optoutValue(emailOut, varied ? optoutStyle : 'int'),
    sms_optout: optoutValue(smsOut, varied ? optoutStyle : 'int'),
    created_date: formatDate(created, varied ? dateStyle : 'iso-z'),
  };
}

/**
 * The population of one app. Obtain it with `simulator.app(appId)`; every change stamps
 * the record's updated time from the simulator clock, which is what `updated_since` filters on.
 */
export class SimulatedApp {
  readonly appId: string;
  readonly #now: () => number;
  #entries: PopulationEntry[] = [];
  readonly #byKey = new Map<string, PopulationEntry>();
  /** Ids are numbers counting up per app, so they never collide across seed() calls. */
  #nextId = 100_001;
  #rawCount = 0;
  /** Drives create() defaults and drift inserts; seeded from the app id so runs repeat. */
  readonly #random: () => number;
  #version = 0;
  #sinceView: { updatedSinceMs: number | undefined; version: number; entries: PopulationEntry[] } | undefined;
  #quirks: SourceQuirks = {};

  /** @internal Use `simulator.app(appId)`. */
  constructor(appId: string, now: () => number) {
    this.appId = appId;
    this.#now = now;
    this.#random = seededRandom(hashString(appId));
  }

  /** The undocumented behaviours this app's getCustomers shows (see {@link SourceQuirks}). */
  get quirks(): SourceQuirks {
    return this.#quirks;
  }

  /**
   * Sets how this app's getCustomers behaves where the API is undocumented; fields left out
   * take their defaults. Throws a RangeError for a zone outside UTC−12 … +14 or a cap outside 1 … 1000.
   */
  setQuirks(quirks: SourceQuirks): void {
    const offset = quirks.utcOffsetMinutes ?? 0;
    if (!Number.isInteger(offset) || offset < -720 || offset > 840)
      throw new RangeError(`utcOffsetMinutes must be a whole number from -720 to 840, got ${offset}`);
    const cap = quirks.maxLimit ?? 1000;
    if (!Number.isInteger(cap) || cap < 1 || cap > 1000)
      throw new RangeError(`maxLimit must be an integer from 1 to 1000, got ${cap}`);
    this.#quirks = { ...quirks };
    this.#changed();
  }

  /** Number of records served for this app (including raw, invalid ones). */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Appends `count` generated members and returns their ids (as strings) in served order.
   * Deterministic: a fresh app seeded with the same count and options gets the same members.
   */
  seed(count: number, options: SeedOptions = {}): string[] {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`seed(count): ${count} is not a count`);
    const random = seededRandom(options.seed ?? 1);
    const varied = options.varied ?? true;
    const updatedAt = options.updatedAt ?? this.#now();
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const record = generateMember(random, this.#nextId, varied);
      this.#nextId += 1;
      ids.push(this.#insert(record, updatedAt, 'end'));
    }
    return ids;
  }

  /**
   * Adds one member at the end (generated with `created_date` now, then overridden by
   * `fields`) and returns its id.
   * A `fields.id` is used as given (string or number); it throws if that id already exists.
   */
  create(fields: RawMember = {}): string {
    // A new member's created_date is now, as on the real API (a poll relies on it to tell a
    // new customer from one its baseline missed).
    const record = {
      ...generateMember(this.#random, this.#nextId, false),
      created_date: formatDate(this.#now(), 'iso-z'),
      ...fields,
    };
    this.#nextId += 1;
    return this.#insert(record, this.#now(), 'end');
  }

  /**
   * Adds any JSON value as a served record (e.g. a member without an id, or not an object)
   * so clients can be tested on invalid rows. Returns a key for get/update/remove.
   */
  insertRaw(value: JsonValue): string {
    this.#rawCount += 1;
    const key = `raw:${this.#rawCount}`;
    const entry: PopulationEntry = {
      key,
      record: undefined,
      raw: value,
      updatedAt: this.#now(),
      json: undefined,
    };
    this.#entries.push(entry);
    this.#byKey.set(key, entry);
    this.#changed();
    return key;
  }

  /**
   * Sets the given fields on a member (a value of `undefined` removes the field) and stamps
   * its updated time. Throws for an unknown id or an attempt to change the id.
   */
  update(id: string, fields: { readonly [key: string]: JsonValue | undefined }): void {
    const entry = this.#entry(id);
    if (entry.record === undefined)
      throw new Error(`update(${id}): a raw row cannot be updated; remove it instead`);
    if ('id' in fields && String(fields.id) !== entry.key)
      throw new Error(`update(${id}): the id cannot change`);
    const record = { ...entry.record };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) delete record[key];
      else record[key] = value;
    }
    this.#store(entry, record);
  }

  /** Sets an opt-out flag, keeping the representation the record already uses ("1", true or 1). */
  setOptout(id: string, channel: 'email' | 'sms', optedOut: boolean): void {
    const field = `${channel}_optout`;
    const current = this.#entry(id).record?.[field];
    const value: JsonValue =
      typeof current === 'string'
        ? optedOut
          ? '1'
          : '0'
        : typeof current === 'boolean'
          ? optedOut
          : optedOut
            ? 1
            : 0;
    this.update(id, { [field]: value });
  }

  /** Bumps the updated time to now without changing the content (the API reports such rows again). */
  touch(id: string): void {
    this.#entry(id).updatedAt = this.#now();
    this.#changed();
  }

  /** Removes a member (its later rows shift one offset down). */
  remove(id: string): void {
    const entry = this.#entry(id);
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    this.#byKey.delete(id);
    this.#changed();
  }

  /** A copy of the member as served; undefined for an unknown id or a raw row. */
  get(id: string): RawMember | undefined {
    const record = this.#byKey.get(id)?.record;
    return record === undefined ? undefined : { ...record };
  }

  /** The record's updated time (epoch ms), or undefined for an unknown id. */
  updatedAt(id: string): number | undefined {
    return this.#byKey.get(id)?.updatedAt;
  }

  /** Ground truth: copies of every record as served, in served order (raw rows as inserted). */
  members(): JsonValue[] {
    return this.#entries.map((entry) =>
      entry.record === undefined ? structuredClone(entry.raw ?? null) : { ...entry.record },
    );
  }

  /**
   * @internal Inserts `count` generated members at the front, so every later row's offset
   * shifts by `count` (the `drift` fault). Returns the new ids.
   */
  prependGenerated(count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const record = {
        ...generateMember(this.#random, this.#nextId, false),
        created_date: formatDate(this.#now(), 'iso-z'),
      };
      this.#nextId += 1;
      ids.push(this.#insert(record, this.#now(), 'front'));
    }
    return ids;
  }

  /** @internal The rows one getCustomers request selects, in served order. */
  select(query: PopulationQuery): PopulationEntry[] {
    let view = this.#view(query.updatedSinceMs);
    if (query.match !== undefined) {
      const match = query.match;
      view = view.filter((entry) => entry.record !== undefined && match(entry.record));
    }
    const limit = Math.min(query.limit, this.#quirks.maxLimit ?? 1000);
    const rows = view.slice(query.offset, query.offset + limit);
    const hidden = this.#quirks.hidden;
    return hidden === undefined ? rows : rows.filter((entry) => !hidden(entry.key));
  }

  /**
   * One `getCustomers` page served in-process, without HTTP: the `members` array exactly as
   * the server would send it for this `offset`, `limit` and `updated_since` (`YYYY-MM-DD`),
   * with this app's quirks. For fast model-based tests; faults are the caller's to add.
   * @throws RangeError for a malformed date, a negative offset or a limit outside 1 … 1000.
   */
  page(request: {
    readonly offset: number;
    readonly limit: number;
    readonly updatedSince?: string;
  }): JsonValue[] {
    const { offset, limit, updatedSince } = request;
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset ${offset} is not valid`);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new RangeError(`limit ${limit} is not valid`);
    let updatedSinceMs: number | undefined;
    if (updatedSince !== undefined) {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(updatedSince);
      if (m === null) throw new RangeError(`updated_since ${updatedSince} is not YYYY-MM-DD`);
      updatedSinceMs = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    }
    return this.select({ offset, limit, ...(updatedSinceMs === undefined ? {} : { updatedSinceMs }) }).map(
      (entry) => JSON.parse(this.json(entry)),
    );
  }

  /**
   * Ground truth as a client can see it: the members `getCustomers` can ever serve (hidden
   * ones left out), keyed by id (raw rows left out).
   */
  visibleMembers(): Map<string, RawMember> {
    const hidden = this.#quirks.hidden;
    const out = new Map<string, RawMember>();
    for (const entry of this.#entries) {
      if (entry.record === undefined || hidden?.(entry.key)) continue;
      out.set(entry.key, { ...entry.record });
    }
    return out;
  }

  /** @internal The cached JSON text of one served row. */
  json(entry: PopulationEntry): string {
    entry.json ??= JSON.stringify(entry.record ?? entry.raw ?? null);
    return entry.json;
  }

  /** The rows an `updated_since` date selects (all without one), in served order; cached until a change. */
  #view(updatedSinceMs: number | undefined): PopulationEntry[] {
    const { order = 'insertion' } = this.#quirks;
    if (updatedSinceMs === undefined && order === 'insertion') return this.#entries;
    const cached = this.#sinceView;
    if (cached !== undefined && cached.updatedSinceMs === updatedSinceMs && cached.version === this.#version)
      return cached.entries;
    let entries = this.#entries;
    if (updatedSinceMs !== undefined) {
      // The date is a day in the server's zone; an exclusive server keeps only later days.
      const dayStart = updatedSinceMs - (this.#quirks.utcOffsetMinutes ?? 0) * 60_000;
      const from = (this.#quirks.updatedSinceInclusive ?? true) ? dayStart : dayStart + DAY_MS;
      entries = entries.filter((entry) => entry.updatedAt >= from);
    }
    if (order !== 'insertion') {
      const sign = order === 'updated-asc' ? 1 : -1;
      // Array.prototype.sort is stable: ties keep insertion order.
      entries = [...entries].sort((a, b) => sign * (a.updatedAt - b.updatedAt));
    }
    this.#sinceView = { updatedSinceMs, version: this.#version, entries };
    return entries;
  }

  #insert(record: RawMember, updatedAt: number, where: 'front' | 'end'): string {
    const id = record.id;
    if (typeof id !== 'string' && typeof id !== 'number')
      throw new Error('a member needs a string or number id');
    const key = String(id);
    if (this.#byKey.has(key)) throw new Error(`a member with id ${key} already exists in app ${this.appId}`);
    const entry: PopulationEntry = { key, record, raw: undefined, updatedAt, json: undefined };
    if (where === 'front') this.#entries.unshift(entry);
    else this.#entries.push(entry);
    this.#byKey.set(key, entry);
    this.#changed();
    return key;
  }

  #store(entry: PopulationEntry, record: RawMember): void {
    entry.record = record;
    entry.json = undefined;
    entry.updatedAt = this.#now();
    this.#changed();
  }

  #entry(id: string): PopulationEntry {
    const entry = this.#byKey.get(id);
    if (entry === undefined) throw new Error(`no member with id ${id} in app ${this.appId}`);
    return entry;
  }

  #changed(): void {
    this.#version += 1;
  }
}
