/**
 * The members as the dashboard shows them. Over real gossip it reads the memberlist itself
 * (every state, incarnations, metadata); over any other {@link Membership} it falls back to the
 * broker's own status, which has less detail.
 */
import { joinHostPort, type Memberlist, type Node } from "@shoal/memberlist";
import { decodeMeta, MemberlistMembership } from "../membership/memberlist-adapter.ts";
import type { Membership } from "../membership/membership.ts";

/** One member, from this node's point of view. */
export interface MemberView {
  name: string;
  /** alive, suspect, dead or left. */
  state: string;
  /** Null when the membership does not have incarnations (in-process clusters). */
  incarnation: number | null;
  gossipAddr: string;
  httpAddr: string | null;
  /** The gossiped metadata as text (hex when it is not printable UTF-8). */
  meta: string;
}

/** A membership change as it happened. */
export interface MemberChange {
  type: "join" | "leave" | "update" | "suspect";
  node: string;
  state: string;
  incarnation: number | null;
  /** Who raised the suspicion (suspect changes only). */
  from?: string;
}

/** Where the dashboard reads members from. */
export interface MemberSource {
  readonly localName: string;
  /** Every member known, in any state, this node included. */
  list(): MemberView[];
  /** Lifeguard health score of this node (0 = healthy). */
  healthScore(): number;
  /** Calls `fn` on every change; returns the unsubscribe function. */
  watch(fn: (change: MemberChange) => void): () => void;
}

/** Picks the richest source the membership offers. */
export function memberSourceFor(membership: Membership): MemberSource {
  if (membership instanceof MemberlistMembership) return memberlistSource(membership.ml);
  return genericSource(membership);
}

const MAX_META_CHARS = 512;

/** Metadata as text: UTF-8 when it decodes to printable characters, hex otherwise. */
export function metaText(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    // Control characters would garble the page: show such metadata as hex.
    if (!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return text.slice(0, MAX_META_CHARS);
  } catch {
    // not UTF-8: fall through to hex
  }
  return Buffer.from(bytes).toString("hex").slice(0, MAX_META_CHARS);
}

function viewOf(n: Node): MemberView {
  const meta = decodeMeta(n.meta);
  return {
    name: n.name,
    state: n.state,
    incarnation: n.incarnation,
    gossipAddr: joinHostPort(n.addr, n.port),
    httpAddr: meta === null ? null : joinHostPort(meta.httpHost ?? n.addr, meta.httpPort),
    meta: metaText(n.meta),
  };
}

function memberlistSource(ml: Memberlist): MemberSource {
  return {
    localName: ml.localNode.name,
    list: () => ml.allMembers().map(viewOf),
    healthScore: () => ml.healthScore,
    watch(fn) {
      const change =
        (type: "join" | "leave" | "update") =>
        (n: Node): void =>
          fn({ type, node: n.name, state: n.state, incarnation: n.incarnation });
      const onJoin = change("join");
      const onLeave = change("leave");
      const onUpdate = change("update");
      const onSuspect = (e: { node: string; from: string; incarnation: number }): void =>
        fn({ type: "suspect", node: e.node, state: "suspect", incarnation: e.incarnation, from: e.from });
      ml.on("join", onJoin);
      ml.on("leave", onLeave);
      ml.on("update", onUpdate);
      ml.on("suspect", onSuspect);
      return () => {
        ml.off("join", onJoin);
        ml.off("leave", onLeave);
        ml.off("update", onUpdate);
        ml.off("suspect", onSuspect);
      };
    },
  };
}

function genericSource(membership: Membership): MemberSource {
  return {
    localName: membership.localName,
    list: () =>
      membership.status().members.map((m) => ({
        name: m.name,
        state: m.state,
        incarnation: null,
        gossipAddr: m.gossipAddr,
        httpAddr: m.httpAddr,
        meta: "",
      })),
    healthScore: () => membership.status().healthScore,
    watch: (fn) =>
      membership.onChange((c) =>
        fn({
          type: c.type,
          node: c.peer.name,
          state: c.type === "join" ? "alive" : "left",
          incarnation: null,
        }),
      ),
  };
}
