/**
 * LZW benchmark: MB/s of uncompressed data through lzwCompress and lzwDecompress, on a 1.4 KB gossip-like
 * packet, a 700 KB push/pull-like stream (both built from msgpack-ish node records), and 64 KB of random
 * bytes.
 *
 *   node --conditions=development --import tsx bench/lzw.ts [--duration=2000] [--module=path/to/lzw.ts]
 *
 * `--module` times another implementation with the same exports, so before/after figures come from the
 * same harness: e.g. `git show <rev>:packages/memberlist/src/wire/lzw.ts > /tmp/lzw-old.ts`, with its two
 * relative imports (../errors.ts, ./limits.ts) pointed back at packages/memberlist/src.
 */
import { pathToFileURL } from "node:url";
import { formatRate, opsPerSec, printTable } from "./lib/measure.ts";

interface Lzw {
  lzwCompress(data: Uint8Array): Uint8Array;
  lzwDecompress(data: Uint8Array, limit?: number): Uint8Array;
}

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const durationMs = Number(arg("duration") ?? 2000);
const rounds = 5;
const modulePath = arg("module");
const lzw: Lzw = modulePath
  ? await import(pathToFileURL(modulePath).href)
  : await import("@shoal/memberlist/wire");

/** Deterministic PRNG (mulberry32), so every run times the same bytes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `size` bytes of records shaped like memberlist's msgpack node state:
 * {Node: "node-123", Addr: 10.0.x.y, Port: 8090, Incarnation: n}, with varying names, addresses and numbers.
 */
function gossipLike(size: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const enc = new TextEncoder();
  const out = new Uint8Array(size);
  let o = 0;
  while (o < size) {
    const id = Math.floor(rnd() * 1000);
    const name = enc.encode(`node-${String(id).padStart(3, "0")}`);
    const inc = Math.floor(rnd() * 128);
    const rec = [
      0x84,
      0xa4,
      ...enc.encode("Node"),
      0xa0 | name.length,
      ...name,
      0xa4,
      ...enc.encode("Addr"),
      0xc4,
      0x04,
      0x0a,
      0x00,
      id >> 8,
      id & 0xff,
      0xa4,
      ...enc.encode("Port"),
      0xcd,
      0x1f,
      0x9a,
      0xab,
      ...enc.encode("Incarnation"),
      inc,
    ];
    for (const b of rec) {
      if (o === size) break;
      out[o++] = b;
    }
  }
  return out;
}

function random(size: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

const cases: [string, Uint8Array][] = [
  ["gossip 1.4 KB", gossipLike(1400, 1)],
  ["gossip 700 KB", gossipLike(700 * 1024, 2)],
  ["random 64 KB", random(64 * 1024, 3)],
];

const mbps = (bytes: number, perSec: number): string => ((bytes * perSec) / 1e6).toFixed(1);

const rows: string[][] = [];
for (const [name, data] of cases) {
  const packed = lzw.lzwCompress(data);
  const back = lzw.lzwDecompress(packed);
  if (back.length !== data.length || !back.every((b, i) => b === data[i])) {
    throw new Error(`${name}: round trip failed`);
  }
  // Best of a few rounds: the machine may be busy, and the best round is the least disturbed.
  let c = 0;
  let d = 0;
  for (let round = 0; round < rounds; round++) {
    c = Math.max(
      c,
      opsPerSec(durationMs / rounds, () => lzw.lzwCompress(data)),
    );
    d = Math.max(
      d,
      opsPerSec(durationMs / rounds, () => lzw.lzwDecompress(packed)),
    );
  }
  rows.push([
    name,
    `${(packed.length / data.length).toFixed(3)}`,
    mbps(data.length, c),
    mbps(data.length, d),
    formatRate(c),
    formatRate(d),
  ]);
}
console.log(`lzw (${modulePath ?? "packages/memberlist/src/wire/lzw.ts"}), node ${process.version}`);
printTable(["input", "ratio", "compress MB/s", "decompress MB/s", "compress/s", "decompress/s"], rows);
