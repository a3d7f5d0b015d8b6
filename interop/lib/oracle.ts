/**
 * The v0.6 oracle: a prebuilt Go member linked against the newest Go memberlist (labels, CRC by
 * default), found at `../shared/oracles/memberlist-latest-node` beside the repository (or where
 * SHOAL_GO_LATEST_NODE points). Its protocol differs from shoal-gonode's: commands are text lines,
 * events carry `ev`, replies come in order with no id. This module translates both ways so that
 * ClusterNode drives it like the other kinds (see the oracle's README for its own protocol).
 */
import { accessSync, constants } from "node:fs";
import { fileURLToPath } from "node:url";
import { splitHostPort } from "@shoal/memberlist";

/** Where the oracle binary is expected when SHOAL_GO_LATEST_NODE is not set. */
export const defaultOraclePath = fileURLToPath(
  new URL("../../../shared/oracles/memberlist-latest-node", import.meta.url),
);

/** The oracle's path when it is present and executable, else null. */
export function oracleBinary(): string | null {
  const path = process.env.SHOAL_GO_LATEST_NODE || defaultOraclePath;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return null;
  }
}

/** The options the oracle understands (it has no protocol-version flag: it runs Go's default, 2). */
export interface OracleOptions {
  name: string;
  bind?: string;
  port?: number;
  preset?: "lan" | "wan" | "local";
  key?: string;
  compression?: boolean;
  meta?: string;
  localState?: string;
  gossipInterval?: string;
  probeInterval?: string;
  label?: string;
  skipInboundLabelCheck?: boolean;
}

export function oracleFlags(o: OracleOptions): string[] {
  const flags = [`-name=${o.name}`, `-preset=${o.preset ?? "local"}`, `-port=${o.port ?? 0}`];
  // Member lists are asked for; periodic ones would arrive unasked and be mistaken for replies.
  flags.push("-members-interval=0");
  if (o.bind !== undefined) flags.push(`-bind=${o.bind}`);
  if (o.key !== undefined) flags.push(`-key=${o.key}`);
  if (o.compression !== undefined) flags.push(`-compression=${o.compression}`);
  if (o.meta !== undefined) flags.push(`-meta=${o.meta}`);
  if (o.localState !== undefined) flags.push(`-state=${o.localState}`);
  if (o.gossipInterval !== undefined) flags.push(`-gossip-interval=${o.gossipInterval}`);
  if (o.probeInterval !== undefined) flags.push(`-probe-interval=${o.probeInterval}`);
  if (o.label !== undefined) flags.push(`-label=${o.label}`);
  if (o.skipInboundLabelCheck) flags.push("-skip-inbound-label-check");
  return flags;
}

const b64 = (s: string | undefined) => Buffer.from(s ?? "").toString("base64");

/** The oracle's text command for one of ClusterNode's JSON commands; throws for what it cannot do. */
export function oracleCommand(c: Record<string, unknown>): string {
  const text = (k: string) => {
    const v = String(c[k] ?? "");
    if (/[\r\n]/.test(v)) throw new Error(`the oracle takes one line: ${k} has a line break`);
    return v;
  };
  switch (c.cmd) {
    case "members":
      return "members";
    case "join":
      return `join ${(c.addrs as string[]).join(",")}`;
    case "update-meta":
      return `meta ${text("meta")}`;
    case "set-local-state":
      return `state ${text("data")}`;
    case "send-reliable":
      return `send64 ${text("to")} ${b64(c.data as string)}`;
    case "send-best-effort":
      return `sendbe64 ${text("to")} ${b64(c.data as string)}`;
    case "broadcast":
      return `broadcast64 ${b64(c.data as string)}`;
    // Leave with a 5 s timeout, then shutdown and exit: the oracle's only leave.
    case "leave":
      return "leave";
    case "shutdown":
      return "kill";
    default:
      throw new Error(`the v0.6 oracle has no command for ${String(c.cmd)}`);
  }
}

/** True for the oracle's lines that answer a command (ok, error, the asked-for member list, exit). */
export function isOracleReply(raw: Record<string, unknown>): boolean {
  return raw.ev === "ok" || raw.ev === "error" || raw.ev === "members" || raw.ev === "exit";
}

function addrParts(addr: unknown): { addr: string; port: number } {
  const hp = splitHostPort(String(addr ?? ""));
  return hp === null ? { addr: String(addr ?? ""), port: 0 } : { addr: hp.host, port: hp.port };
}

/** A member as ClusterNode reports it; the oracle tells no state or versions (alive, 0). */
function oracleMember(m: Record<string, unknown>) {
  const meta = String(m.meta ?? "");
  return {
    name: String(m.name),
    ...addrParts(m.addr),
    meta,
    metaHex: Buffer.from(meta).toString("hex"),
    state: 0,
    pmin: 0,
    pmax: 0,
    pcur: 0,
    dmin: 0,
    dmax: 0,
    dcur: 0,
  };
}

/** One oracle line in ClusterNode's event vocabulary (shoal-gonode's). */
export function oracleEvent(raw: Record<string, unknown>): { event: string; [k: string]: unknown } {
  switch (raw.ev) {
    case "ready":
      return { event: "ready", name: raw.name, ...addrParts(raw.addr) };
    case "join":
    case "leave":
    case "update":
      return { event: raw.ev, node: oracleMember({ name: raw.node, addr: raw.addr, meta: raw.meta }) };
    case "msg":
      return {
        event: "message",
        data: raw.data,
        dataHex: Buffer.from(String(raw.b64), "base64").toString("hex"),
      };
    case "remote_state":
      return { event: "merge-remote-state", join: raw.join, data: raw.data };
    case "members":
      return { event: "members", members: (raw.members as Record<string, unknown>[]).map(oracleMember) };
    case "ok":
      return { event: "ok", cmd: raw.cmd, n: raw.contacted, error: null };
    case "error":
    case "fatal":
      return { event: "error", cmd: raw.cmd, error: raw.error ?? raw.ev };
    case "exit":
      return { event: "exit", reason: raw.reason, error: null };
    default:
      return { event: String(raw.ev), ...raw };
  }
}
