/**
 * A Shoal memberlist node as a process, driven exactly like interop/go/cmd/shoal-gonode: the same flags,
 * the same JSON-line commands on stdin and the same JSON-line events on stdout, so tests and benchmarks
 * can run Go and Shoal nodes side by side through one driver.
 *
 *   node --conditions=development --import tsx interop/node/shoal-node.ts -name a -port 0 -preset local
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import {
  type Broadcast,
  defaultLANConfig,
  defaultLocalConfig,
  defaultWANConfig,
  Memberlist,
  type MemberlistConfig,
  type Node,
  stderrLogger,
  TransmitLimitedQueue,
} from "@shoal/memberlist";

const { values: o } = parseArgs({
  options: {
    name: { type: "string", default: "" },
    bind: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    preset: { type: "string", default: "local" },
    key: { type: "string", default: "" },
    compression: { type: "string" },
    protocol: { type: "string" },
    meta: { type: "string", default: "" },
    "local-state": { type: "string", default: "" },
    "gossip-interval": { type: "string" },
    "probe-interval": { type: "string" },
    "log-level": { type: "string", default: "warn" },
    label: { type: "string", default: "" },
    "skip-inbound-label-check": { type: "string", default: "false" },
  },
  // Go's flag package takes single-dash long flags: accept them by rewriting to double dashes.
  args: process.argv.slice(2).map((a) => (/^-[a-z]/.test(a) ? `-${a}` : a)),
});

const emit = (e: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(e)}\n`);
const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const stateNumber = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
const nodeJSON = (n: Node) => ({
  name: n.name,
  addr: n.addr,
  port: n.port,
  meta: text(n.meta),
  metaHex: hex(n.meta),
  state: stateNumber[n.state],
  pmin: n.pMin,
  pmax: n.pMax,
  pcur: n.pCur,
  dmin: n.dMin,
  dmax: n.dMax,
  dcur: n.dCur,
});

/** Go's time.Duration strings ("200ms", "1s") into milliseconds. */
function durationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`bad duration '${s}'`);
  const scale = { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
  return Number(m[1]) * scale;
}

const presets = { lan: defaultLANConfig, wan: defaultWANConfig, local: defaultLocalConfig };
const preset = presets[o.preset as keyof typeof presets];
if (!preset) {
  emit({ event: "error", error: `unknown preset "${o.preset}"` });
  process.exit(2);
}

let meta = Buffer.from(o.meta ?? "");
let localState = Buffer.from(o["local-state"] ?? "");
const userQueue = new TransmitLimitedQueue(() => 1, 0);

const config: Partial<MemberlistConfig> = {
  ...preset(),
  ...(o.name ? { name: o.name } : {}),
  bindAddr: o.bind!,
  bindPort: Number(o.port),
  advertisePort: Number(o.port),
  ...(o.compression !== undefined ? { enableCompression: o.compression === "true" } : {}),
  ...(o.protocol !== undefined ? { protocolVersion: Number(o.protocol) } : {}),
  ...(o["gossip-interval"] ? { gossipInterval: durationMs(o["gossip-interval"]) } : {}),
  ...(o["probe-interval"] ? { probeInterval: durationMs(o["probe-interval"]) } : {}),
  ...(o.key ? { secretKey: Buffer.from(o.key, "base64") } : {}),
  label: o.label ?? "",
  skipInboundLabelCheck: o["skip-inbound-label-check"] === "true",
  logger: stderrLogger(o.name || "shoal-node", o["log-level"] as "warn"),
  delegate: {
    nodeMeta: (limit) => meta.subarray(0, limit),
    notifyMsg: (b) => emit({ event: "message", data: text(b), dataHex: hex(b) }),
    getBroadcasts: (overhead, limit) => userQueue.getBroadcasts(overhead, limit),
    localState: () => (localState.length === 0 ? null : localState),
    mergeRemoteState: (b, join) =>
      emit({ event: "merge-remote-state", join, data: text(b), dataHex: hex(b) }),
  },
  events: {
    notifyJoin: (n) => emit({ event: "join", node: nodeJSON(n) }),
    notifyLeave: (n) => emit({ event: "leave", node: nodeJSON(n) }),
    notifyUpdate: (n) => emit({ event: "update", node: nodeJSON(n) }),
  },
};

let list: Memberlist;
try {
  list = await Memberlist.create(config);
} catch (err) {
  emit({ event: "error", error: `create: ${(err as Error).message}` });
  process.exit(1);
}
userQueue.numNodes = () => list.numMembers();
userQueue.retransmitMult = list.config.retransmitMult;
emit({ event: "ready", name: list.localNode.name, addr: list.localNode.addr, port: list.localNode.port });

class UserBroadcast implements Broadcast {
  constructor(private readonly msg: Uint8Array) {}
  invalidates(): boolean {
    return false;
  }
  message(): Uint8Array {
    return this.msg;
  }
  finished(): void {}
}

interface Command {
  id?: unknown;
  cmd: string;
  addrs?: string[];
  meta?: string;
  to?: string;
  data?: string;
  timeout_ms?: number;
}

const errString = (err: unknown) => (err === null ? null : err instanceof Error ? err.message : String(err));

async function handle(c: Command): Promise<boolean> {
  const reply = (e: Record<string, unknown>) => emit(c.id !== undefined ? { ...e, id: c.id } : e);
  const find = (name: string | undefined) => {
    const n = list.members().find((m) => m.name === name);
    if (!n) throw new Error(`no live member named "${name}"`);
    return n;
  };
  switch (c.cmd) {
    case "join": {
      try {
        reply({ event: "joined", n: await list.join(c.addrs ?? []), error: null });
      } catch (err) {
        reply({ event: "joined", n: 0, error: errString(err) });
      }
      break;
    }
    case "members":
      reply({ event: "members", members: list.members().map(nodeJSON) });
      break;
    case "update-meta": {
      meta = Buffer.from(c.meta ?? "");
      const err = await list.updateNode(c.timeout_ms || 5000).then(
        () => null,
        (e: unknown) => e,
      );
      reply({ event: "meta-updated", error: errString(err) });
      break;
    }
    case "set-local-state":
      localState = Buffer.from(c.data ?? "");
      reply({ event: "local-state-set" });
      break;
    case "send-reliable":
    case "send-best-effort": {
      let err: unknown = null;
      try {
        const to = find(c.to);
        const data = Buffer.from(c.data ?? "");
        await (c.cmd === "send-reliable" ? list.sendReliable(to, data) : list.sendBestEffort(to, data));
      } catch (e) {
        err = e;
      }
      reply({ event: "sent", to: c.to, error: errString(err) });
      break;
    }
    case "broadcast":
      userQueue.queueBroadcast(new UserBroadcast(Buffer.from(c.data ?? "")));
      reply({ event: "queued", queued: userQueue.numQueued() });
      break;
    case "leave": {
      const err = await list.leave(c.timeout_ms || 1000).then(
        () => null,
        (e: unknown) => e,
      );
      reply({ event: "left", error: errString(err) });
      break;
    }
    case "health":
      reply({ event: "health", score: list.healthScore, members: list.numMembers() });
      break;
    case "shutdown":
      return true;
    default:
      reply({ event: "error", error: `unknown command "${c.cmd}"` });
  }
  return false;
}

async function stop(): Promise<never> {
  await list.shutdown();
  emit({ event: "shutdown" });
  process.exit(0);
}

process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
const rl = createInterface({ input: process.stdin });
let chain = Promise.resolve(false);
rl.on("line", (line) => {
  if (line.trim() === "") return;
  chain = chain.then(async (stopped) => {
    if (stopped) return true;
    let c: Command;
    try {
      c = JSON.parse(line) as Command;
    } catch (err) {
      emit({ event: "error", error: `bad command: ${(err as Error).message}` });
      return false;
    }
    const done = await handle(c);
    if (done) await stop();
    return done;
  });
});
rl.on("close", () => void chain.then(() => stop()));
