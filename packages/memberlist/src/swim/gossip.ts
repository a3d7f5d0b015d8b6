/**
 * Dissemination: the gossip tick that spreads queued broadcasts to a few random members, and the
 * periodic push/pull anti-entropy with one of them (memberlist-wire.md §8.1, §10.9).
 */
import { encodeMessage, makeCompounds } from "../wire/index.ts";
import type { Message } from "../wire/messages.ts";
import { NodeState } from "../wire/messages.ts";
import type { Engine } from "./engine.ts";
import { getBroadcasts, packetOverhead, sendPacket } from "./packets.ts";
import { kRandom } from "./random.ts";
import { pushPullNode } from "./streams.ts";

const compoundHeaderOverhead = 2;
const compoundOverhead = 2;

/** Sends queued broadcasts to up to GossipNodes members (recently dead ones included, so they can refute). */
export function gossip(e: Engine): void {
  const started = e.runtime.now();
  gossipOnce(e);
  e.metrics.addSample(["memberlist", "gossip"], e.runtime.now() - started);
}

function gossipOnce(e: Engine): void {
  // The common idle case: nothing queued and no user broadcasts to ask for, so no targets to pick.
  if (e.broadcasts.numQueued() === 0 && !e.config.delegate?.getBroadcasts) return;
  const now = e.runtime.now();
  const targets = kRandom(e.runtime, e.config.gossipNodes, e.nodes, (n) => {
    if (n.name === e.config.name) return true;
    switch (n.state) {
      case NodeState.Alive:
      case NodeState.Suspect:
        return false;
      case NodeState.Dead:
        return now - n.stateChange > e.config.gossipToTheDeadTime;
      default:
        return true;
    }
  });
  const avail = e.config.udpBufferSize - compoundHeaderOverhead - packetOverhead(e);
  for (const node of targets) {
    const msgs = getBroadcasts(e, compoundOverhead, avail);
    if (msgs.length === 0) return;
    const addr = { host: node.host, port: node.port };
    if (msgs.length === 1) sendPacket(e, addr, msgs[0]!, node);
    else for (const c of makeCompounds(msgs)) sendPacket(e, addr, c, node);
  }
}

/** Periodic anti-entropy: a full state exchange with one random live member. */
export function pushPullTick(e: Engine): void {
  const [node] = kRandom(
    e.runtime,
    1,
    e.nodes,
    (n) => n.name === e.config.name || n.state !== NodeState.Alive,
  );
  if (!node) return;
  pushPullNode(e, { host: node.host, port: node.port }, false).catch((err: unknown) => {
    e.log.warn("push/pull failed", {
      node: node.name,
      err: err instanceof Error ? err.message : String(err),
    });
  });
}

/**
 * Sends one message straight to every member that is alive or suspect. Used for our own leave:
 * gossip alone sends it only RetransmitMult * ceil(log10(n+1)) times (twice in a three-node cluster
 * with the local preset), and those sends may all go to a peer that has just died, leaving the others
 * to detect a failure instead of a leave. Receivers treat it like any gossiped message.
 */
export function sendToAllLive(e: Engine, msg: Message): void {
  const bytes = encodeMessage(msg);
  for (const n of e.nodes) {
    if (n.name === e.config.name || (n.state !== NodeState.Alive && n.state !== NodeState.Suspect)) continue;
    sendPacket(e, { host: n.host, port: n.port }, bytes, n);
  }
}
