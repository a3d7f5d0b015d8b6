/**
 * Seeded pseudo-random numbers for the simulator. The generator is sfc32 (Chris Doty-Humphrey's
 * small fast counting generator: 128 bits of state, passes PractRand, a counter guarantees a
 * minimum period of 2^32); its state is filled by a splitmix32-style mixer. Every consumer draws
 * from its own sub-stream derived from the run seed and a stable label (node id, purpose), so adding
 * a node or a draw in one place never shifts the draws anywhere else.
 */

/** One round of a 32-bit avalanche mixer (splitmix32 finaliser constants). */
export function mix32(x: number): number {
  let z = x | 0;
  z ^= z >>> 16;
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  z ^= z >>> 15;
  return z >>> 0;
}

/** Folds a list of integers into two independent 32-bit words (64 bits of seed material). */
function fold(parts: readonly number[]): [number, number] {
  let h1 = 0x9e3779b9;
  let h2 = 0x85ebca6b;
  for (const part of parts) {
    // Split each part into its low and high 32 bits so seeds up to 2^53 keep all their bits.
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    h1 = mix32(h1 ^ lo) ^ mix32(hi + 0x632be59b);
    h2 = mix32(h2 + lo + 0x7f4a7c15) ^ mix32(hi ^ 0x1b873593);
  }
  return [h1 >>> 0, h2 >>> 0];
}

/** Well-known sub-stream purposes. Values are part of the determinism contract: never renumber. */
export const StreamPurpose = {
  /** The process's `Runtime.random()`/`randomBytes()`; keyed by (node id, process epoch). */
  Process: 1,
  /** Network draws (latency, loss, duplication) for packets a node sends; keyed by node id. */
  Network: 2,
  /** The scenario's own choices (which node to crash, when). */
  Scenario: 3,
  /** Workload traffic outside the engine (toy workload). */
  Workload: 4,
} as const;

/**
 * sfc32 generator. Numbers are kept as int32 in the fields so V8 keeps them unboxed.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds from any list of integers (e.g. `[runSeed, StreamPurpose.Network, nodeId]`). */
  constructor(...seedParts: number[]) {
    const [h1, h2] = fold(seedParts);
    let s = h1;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s ^ h2);
    };
    this.a = next() | 0;
    this.b = next() | 0;
    this.c = next() | 0;
    this.d = 1;
    // Discard the first outputs: sfc32's authors recommend a short warm-up.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform integer in [0, n) for 0 < n <= 2^32 (multiply-shift; bias < n / 2^32, negligible here). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.float());
  }

  /** A standard normal deviate (Box-Muller; one of the pair is discarded to keep no hidden state). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fills a new array with `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    while (i + 4 <= n) {
      const w = this.uint32();
      out[i] = w & 0xff;
      out[i + 1] = (w >>> 8) & 0xff;
      out[i + 2] = (w >>> 16) & 0xff;
      out[i + 3] = w >>> 24;
      i += 4;
    }
    if (i < n) {
      let w = this.uint32();
      while (i < n) {
        out[i++] = w & 0xff;
        w >>>= 8;
      }
    }
    return out;
  }
}
