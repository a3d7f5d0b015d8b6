/**
 * Failure detection (memberlist-wire.md §10.3): one member per tick, round-robin over a shuffled list;
 * a direct ping, then indirect pings through other members and a TCP fallback, then suspicion.
 * Go blocks a goroutine on each step; here each step is a timer or an ack callback.
 */
import { encodeMessage, makeCompounds } from "../wire/index.ts";
import type { Ping } from "../wire/messages.ts";
import { MessageType, NodeState } from "../wire/messages.ts";
import type { Engine } from "./engine.ts";
import { isDeadOrLeft, type NodeRecord, toPublicNode } from "./node-record.ts";
import { sendMsg, sendPacket } from "./packets.ts";
import { kRandom } from "./random.ts";
import { resetNodes, suspectNode } from "./state.ts";
import { sendPingAndWaitForAck } from "./streams.ts";

/** A probe tick. A tick that comes while a probe is still running is kept for when it ends. */
export function probeTick(e: Engine): void {
  if (e.probeInFlight) {
    e.deferProbeTick();
    return;
  }
  probe(e);
}

/** Picks the next member to probe, reaping and reshuffling when the list wraps around. */
function probe(e: Engine): void {
  let checked = 0;
  for (;;) {
    if (checked >= e.nodes.length) return;
    const node = e.takeProbeCandidate();
    if (node === undefined) {
      resetNodes(e);
      e.rewindProbeOrder();
      checked++;
      continue;
    }
    if (node.name === e.config.name || isDeadOrLeft(node)) {
      checked++;
      continue;
    }
    probeNode(e, node);
    return;
  }
}

function probeFinished(e: Engine, awarenessDelta: number, startedAt: number): void {
  e.metrics.addSample(["memberlist", "probeNode"], e.runtime.now() - startedAt);
  e.awareness.applyDelta(awarenessDelta);
  e.endProbe();
  if (!e.stopped && e.takeDeferredProbeTick()) {
    // Go's ticker keeps one missed tick, so the next probe starts right away.
    e.setTimer(0, () => {
      if (!e.stopped) probeTick(e);
    });
  }
}

/** One probe round against `node` (Go's probeNode). */
export function probeNode(e: Engine, node: NodeRecord, retryAfterStall = true): void {
  e.beginProbe();
  const probeInterval = e.awareness.scaleTimeout(e.config.probeInterval);
  // Go counts every probe that runs on a stretched interval: this node thinks it is unhealthy.
  if (probeInterval > e.config.probeInterval) e.metrics.incrCounter(["memberlist", "degraded", "probe"], 1);
  const ping: Ping = {
    seqNo: e.nextSeqNo(),
    node: node.name,
    sourceAddr: e.advertise.addrBytes,
    sourcePort: e.advertise.port,
    sourceNode: e.config.name,
  };
  const addr = { host: node.host, port: node.port };
  // A snapshot: the table entry may change while we wait, but we accuse the incarnation we probed.
  const probedIncarnation = node.incarnation;
  const probedState = node.state;

  let done = false;
  let directPhase = true;
  let nacks = 0;
  let expectedNacks = 0;
  let fallback: Promise<boolean> | null = null;
  let probeTimeoutTimer: { cancel(): void } | null = null;
  const sent = e.runtime.now();
  const startedAt = sent;

  const succeed = (payload: Uint8Array | null, timestamp: number) => {
    if (done) return;
    done = true;
    probeTimeoutTimer?.cancel();
    if (directPhase && e.config.ping) {
      e.config.ping.notifyPingComplete(toPublicNode(node), timestamp - sent, payload ?? new Uint8Array(0));
    }
    probeFinished(e, -1, startedAt);
  };

  const fail = async () => {
    if (done) return;
    if (fallback && (await fallback)) {
      e.log.warn("reached a node by TCP but not by UDP: the network may be misconfigured", {
        node: node.name,
      });
      done = true;
      probeFinished(e, -1, startedAt);
      return;
    }
    if (done) return;
    done = true;
    let delta = 0;
    if (expectedNacks > 0) {
      if (nacks < expectedNacks) delta += expectedNacks - nacks;
    } else {
      delta += 1;
    }
    if (e.stopped) {
      e.endProbe();
      return;
    }
    if (e.config.lagAwareness && e.stalledSince(startedAt)) {
      // Our own event loop was blocked during this probe: the missing ack is likely our fault, and
      // may even be queued behind the timer. Hold the suspicion back and probe the node once more
      // right away: by then the queued ack has been read, so a healthy node passes and a crashed one
      // is still suspected within one more probe.
      e.log.info("not suspecting a node yet: this node stalled during the probe", { node: node.name });
      // The table may hold a newer record for this member by now (a copy, when it is shared).
      const current = e.members.get(node.name);
      if (retryAfterStall && current !== undefined && !isDeadOrLeft(current)) {
        e.awareness.applyDelta(delta);
        e.setTimer(0, () => {
          if (e.stopped) {
            e.endProbe();
            return;
          }
          probeNode(e, current, false);
        });
        return;
      }
      probeFinished(e, delta, startedAt);
      return;
    }
    e.log.info("suspecting a node: no acks received", { node: node.name });
    probeFinished(e, delta, startedAt);
    suspectNode(e, { incarnation: probedIncarnation, node: node.name, from: e.config.name });
  };

  e.setAckHandler(
    ping.seqNo,
    probeInterval,
    (payload, timestamp) => succeed(payload, timestamp),
    () => {
      nacks++;
    },
    () => {
      void fail();
    },
  );

  if (probedState === NodeState.Alive) {
    sendMsg(e, addr, encodeMessage({ type: MessageType.Ping, body: ping }), node);
  } else {
    // Buddy system: tell a suspect it is suspected, so it can refute at once.
    const suspect = encodeMessage({
      type: MessageType.Suspect,
      body: { incarnation: probedIncarnation, node: node.name, from: e.config.name },
    });
    for (const c of makeCompounds([encodeMessage({ type: MessageType.Ping, body: ping }), suspect])) {
      sendPacket(e, addr, c, node);
    }
  }

  probeTimeoutTimer = e.setTimer(e.config.probeTimeout, () => {
    if (done || e.stopped) return;
    directPhase = false;
    const peers = kRandom(
      e.runtime,
      e.config.indirectChecks,
      e.nodes,
      (n) => n.name === e.config.name || n.name === node.name || n.state !== NodeState.Alive,
    );
    for (const peer of peers) {
      const nack = (peer.vsn[1] ?? 0) >= 4;
      if (nack) expectedNacks++;
      const req = encodeMessage({
        type: MessageType.IndirectPing,
        body: {
          seqNo: ping.seqNo,
          target: node.addr,
          port: node.port,
          node: node.name,
          nack,
          sourceAddr: e.advertise.addrBytes,
          sourcePort: e.advertise.port,
          sourceNode: e.config.name,
        },
      });
      sendMsg(e, { host: peer.host, port: peer.port }, req, peer);
    }
    const disableTcp = e.config.disableTcpPings || (e.config.disableTcpPingsForNode?.(node.name) ?? false);
    if (!disableTcp && (node.vsn[1] ?? 0) >= 3) {
      fallback = sendPingAndWaitForAck(e, addr, ping, sent + probeInterval);
    }
  });
}
