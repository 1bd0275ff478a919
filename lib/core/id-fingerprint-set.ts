/**
 * The ids a scan has read, for drift detection (an id read twice means the result set moved
 * under the offsets, see lib/poll.ts), kept as 53-bit fingerprints in sorted typed arrays:
 * 8 bytes per id instead of the ~60 of a `Set<string>` (0.8 MB per 100k customers, 8 MB at
 * 1M, against 6 MB and 60 MB).
 *
 * Why fingerprints and not a fixed-size filter: an id that comes back can come back from any
 * earlier page (a row updated mid-scan moves to the end when rows are ordered by updated
 * time), so no bounded window of recent ids detects it, and a fixed-size Bloom filter's false
 * positives grow with the population until every large scan reads as drifted and the
 * watermark never moves. Here a false "seen" needs two distinct ids with equal 53-bit
 * fingerprints: about n² / 2^54 per scan of n ids (5.5e-5 at 1M customers), and its only
 * effect is a conservative drift (the watermark stays; the next scan reads the window
 * again). The seed changes with every scan, so a colliding pair is not a colliding pair
 * next time: a false drift cannot repeat and stop the watermark for ever.
 */

/**
 * cyrb53 (bryc, public domain): a 53-bit string hash with a 32-bit seed, built from
 * Math.imul rounds over UTF-16 code units. 53 bits so a fingerprint is an exact double.
 */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (0x1fffff & h2) + (h1 >>> 0);
}

/** The 53-bit fingerprint of an id under `seed` (an integer; only its low 32 bits count). */
export function idFingerprint(id: string, seed: number): number {
  return cyrb53(id, seed | 0);
}

/** A 32-bit seed derived from any text, e.g. the lease owner and start of an invocation. */
export function fingerprintSeed(text: string): number {
  return (cyrb53(text, 0x5eed) % 4294967296) | 0;
}

/** The index of the first element of the sorted `run` that is not below `x`. */
function lowerBound(run: Float64Array, x: number): number {
  let lo = 0;
  let hi = run.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((run[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function merge(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x <= y) {
      out[k++] = x;
      i++;
    } else {
      out[k++] = y;
      j++;
    }
  }
  out.set(a.subarray(i), k);
  out.set(b.subarray(j), k + a.length - i);
  return out;
}

/**
 * A set of ids by fingerprint: `has` is exact but for a fingerprint collision (see the module
 * comment for its rate), never a false "not seen". Ids are added a page at a time; each page
 * becomes a sorted run, and runs merge like a binary counter (at most log2 of the page count
 * of them, each found by binary search).
 */
export class IdFingerprintSet {
  /** Sorted runs, largest first; each at least twice the size of the next. */
  readonly #runs: Float64Array[] = [];
  #size = 0;

  /** @param seed Pick a different one per scan, so a collision does not repeat (fingerprintSeed). */
  constructor(readonly seed: number) {}

  /** Fingerprints held (ids added, repeats included). */
  get size(): number {
    return this.#size;
  }

  /** Bytes the fingerprints take (8 per id). */
  get bytes(): number {
    return this.#size * 8;
  }

  has(id: string): boolean {
    const x = idFingerprint(id, this.seed);
    for (const run of this.#runs) {
      const at = lowerBound(run, x);
      if (at < run.length && run[at] === x) return true;
    }
    return false;
  }

  /** Adds a batch of ids (a page) as one run. */
  addAll(ids: readonly string[]): void {
    if (ids.length === 0) return;
    let run: Float64Array = new Float64Array(ids.length);
    for (const [i, id] of ids.entries()) run[i] = idFingerprint(id, this.seed);
    run.sort();
    this.#size += run.length;
    // Merge while the newest run is at least half the one before it: runs then at least
    // double in size down the list, so a lookup searches at most log2(pages) + 1 of them.
    for (let last = this.#runs.at(-1); last !== undefined && 2 * run.length >= last.length; ) {
      this.#runs.pop();
      run = merge(last, run);
      last = this.#runs.at(-1);
    }
    this.#runs.push(run);
  }
}
