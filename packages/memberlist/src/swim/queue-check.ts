/**
 * Go's periodic queue check (QueueCheckInterval): samples how many broadcasts wait to be gossiped
 * (`memberlist.queue.broadcasts`), and sets how many members this node knows in each state
 * (`memberlist.node.instances`, labelled `node_state`). Runs only when a metrics sink is configured.
 */
import { NodeState } from "../wire/messages.ts";
import type { Engine } from "./engine.ts";
import { stateName } from "./node-record.ts";

const states = [NodeState.Alive, NodeState.Suspect, NodeState.Dead, NodeState.Left] as const;

export function queueCheck(e: Engine): void {
  e.metrics.addSample(["memberlist", "queue", "broadcasts"], e.broadcasts.numQueued());
  const counts = [0, 0, 0, 0];
  for (const n of e.nodes) counts[n.state] = (counts[n.state] ?? 0) + 1;
  for (const state of states) {
    e.metrics.setGauge(["memberlist", "node", "instances"], counts[state] ?? 0, [
      { name: "node_state", value: stateName(state) },
    ]);
  }
}
