/**
 * Wire benchmark: messages per second for encoding and decoding ping, ack, alive, a compound of 10
 * alives and a 100-node push/pull, plain and with AES-128 (encryption version 1), next to Go memberlist
 * 0.2.2's own figures from `interop/bin/.../shoal-interop bench` when Go is available.
 *
 *   node --conditions=development --import tsx bench/wire.ts [--duration=400]
 *
 * Each case does what the engine does per message: packets go through encodePacket/decodePacket
 * (+ decodeMessage / decodeCompound), push/pull through encodeStreamMessage, streamFrameLength,
 * decodeStreamMessage and decodePushPull. The Go side times the same cases with its own codec.
 */
import { cpus, loadavg } from "node:os";
import {
  decodeCompound,
  decodeMessage,
  decodePacket,
  decodePushPull,
  decodeStreamMessage,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  type Message,
  MessageType,
  type PushNodeState,
  streamFrameLength,
} from "@shoal/memberlist/wire";
import { formatRate, formatRatio, opsPerSec, printTable } from "./lib/measure.ts";

type Rates = Record<string, { encodePerSec: number; decodePerSec: number }>;

const durationArg = process.argv.find((a) => a.startsWith("--duration="));
const durationMs = durationArg ? Number(durationArg.slice("--duration=".length)) : 400;

const ip4 = Uint8Array.of(10, 0, 0, 1);
const vsn = Uint8Array.of(1, 5, 2, 0, 0, 0);
const key16 = new TextEncoder().encode("0123456789abcdef");
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// The same values as the Go side's bench (interop/go/cmd/shoal-interop).
const ping: Message = {
  type: MessageType.Ping,
  body: { seqNo: 1, node: "node-b", sourceAddr: ip4, sourcePort: 7946, sourceNode: "node-a" },
};
const ack: Message = { type: MessageType.AckResp, body: { seqNo: 1, payload: null } };
const alive: Message = {
  type: MessageType.Alive,
  body: { incarnation: 1, node: "node-a", addr: ip4, port: 7946, meta: ascii("m"), vsn },
};
const tenAlives: Message[] = Array.from({ length: 10 }, (_, i) => ({
  type: MessageType.Alive,
  body: {
    incarnation: i + 1,
    node: `node-${i}`,
    addr: Uint8Array.of(10, 0, 0, i),
    port: 7946,
    meta: ascii("meta"),
    vsn,
  },
}));
const hundredNodes: PushNodeState[] = Array.from({ length: 100 }, (_, i) => ({
  name: `node-${String(i).padStart(3, "0")}`,
  addr: Uint8Array.of(10, 0, i >> 8, i & 0xff),
  port: 7946 + i,
  meta: ascii(`m${i}`),
  incarnation: i * 1000,
  state: (i % 4) as PushNodeState["state"],
  vsn,
}));

interface Case {
  name: string;
  encode: () => Uint8Array;
  decode: (b: Uint8Array) => unknown;
}

function packetCase(name: string, m: Message, key: Uint8Array | null): Case {
  const enc = { compress: false, crc: false, key, encryptionVersion: 1 as const, label: "" };
  const dec = { label: "", keys: key ? [key] : [], verifyIncoming: true };
  return {
    name,
    encode: () => encodePacket(encodeMessage(m), enc),
    decode: (b) => decodeMessage(decodePacket(b, dec)),
  };
}

function compoundCase(name: string, key: Uint8Array | null): Case {
  const enc = { compress: false, crc: false, key, encryptionVersion: 1 as const, label: "" };
  const dec = { label: "", keys: key ? [key] : [], verifyIncoming: true };
  return {
    name,
    encode: () => encodePacket(encodeCompound(tenAlives.map(encodeMessage)), enc),
    decode: (b) => {
      const { parts } = decodeCompound(decodePacket(b, dec).subarray(1));
      for (const p of parts) decodeMessage(p);
    },
  };
}

function pushPullCase(name: string, key: Uint8Array | null): Case {
  const enc = { compress: false, key, encryptionVersion: 1 as const, label: "" };
  const dec = { keys: key ? [key] : [], label: "", verifyIncoming: true };
  return {
    name,
    encode: () =>
      encodeStreamMessage(encodePushPull({ join: false, nodes: hundredNodes, userState: null }), enc),
    decode: (b) => {
      const len = streamFrameLength(b);
      const plain = decodeStreamMessage(len === b.length ? b : b.subarray(0, len), dec);
      if (decodePushPull(plain.subarray(1)).nodes.length !== 100) throw new Error("push/pull lost nodes");
    },
  };
}

const cases: Case[] = [
  packetCase("ping", ping, null),
  packetCase("ack", ack, null),
  packetCase("alive", alive, null),
  compoundCase("compound10Alive", null),
  pushPullCase("pushPull100", null),
  packetCase("ping+aes128", ping, key16),
  packetCase("ack+aes128", ack, key16),
  packetCase("alive+aes128", alive, key16),
  compoundCase("compound10Alive+aes128", key16),
  pushPullCase("pushPull100+aes128", key16),
];

function runShoal(): Rates {
  // Warm every path first, as a running node would have: the JIT then sees all message shapes.
  for (const c of cases) {
    const sample = c.encode();
    opsPerSec(Math.min(100, durationMs), c.encode);
    opsPerSec(Math.min(100, durationMs), () => c.decode(sample));
  }
  const out: Rates = {};
  for (const c of cases) {
    const sample = c.encode();
    out[c.name] = {
      encodePerSec: opsPerSec(durationMs, c.encode),
      decodePerSec: opsPerSec(durationMs, () => c.decode(sample)),
    };
  }
  return out;
}

/** Go's figures via interop/lib/go.ts, or a reason why there are none. */
async function runGo(): Promise<Rates | string> {
  try {
    const lib = (await import("../interop/lib/go.ts")) as {
      goWireBench?: (ms?: number) => Promise<Rates | null>;
    };
    if (typeof lib.goWireBench !== "function") return "interop/lib/go.ts has no goWireBench()";
    const r = await lib.goWireBench(durationMs);
    return r ?? "Go is not installed or the interop program could not be built";
  } catch (err) {
    return `Go figures unavailable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

const shoal = runShoal();
const go = await runGo();
const goRates = typeof go === "string" ? undefined : go;

const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(" ");
console.log(`wire benchmark — messages/second, ${durationMs} ms per figure, Node ${process.version}`);
console.log(
  `${cpus().length} CPUs, load average ${load} (figures are wall-clock: a busy machine lowers both sides)`,
);
if (typeof go === "string") console.log(`note: Shoal figures only (${go})`);
else console.log("Go: memberlist 0.2.2 codec (Debian), via interop shoal-interop bench");
console.log("");
printTable(
  ["case", "shoal enc/s", "go enc/s", "enc ratio", "shoal dec/s", "go dec/s", "dec ratio"],
  cases.map((c) => {
    const s = shoal[c.name]!;
    const g = goRates?.[c.name];
    return [
      c.name,
      formatRate(s.encodePerSec),
      formatRate(g?.encodePerSec),
      formatRatio(s.encodePerSec, g?.encodePerSec),
      formatRate(s.decodePerSec),
      formatRate(g?.decodePerSec),
      formatRatio(s.decodePerSec, g?.decodePerSec),
    ];
  }),
);
if (goRates) {
  const plain = ["ping", "ack", "alive", "compound10Alive"];
  const worst = Math.min(
    ...plain.flatMap((n) => [
      shoal[n]!.encodePerSec / (goRates[n]?.encodePerSec ?? Number.NaN),
      shoal[n]!.decodePerSec / (goRates[n]?.decodePerSec ?? Number.NaN),
    ]),
  );
  console.log("");
  console.log(
    `lowest Shoal/Go ratio over plain ping/ack/alive/compound (target ≥ 1.00): ${worst.toFixed(2)}`,
  );
}
