/**
 * Memberlist's own gossip (alive, suspect, dead), queued under the name of the node it is about so
 * that the newest news about a node replaces older news still in the queue.
 */

import { encodeMessage } from "../wire/index.ts";
import type { Message } from "../wire/messages.ts";
import type { NamedBroadcast } from "./broadcast-queue.ts";
import type { Engine } from "./engine.ts";

class MemberBroadcast implements NamedBroadcast {
  constructor(
    private readonly node: string,
    private readonly msg: Uint8Array,
    private readonly notify: (() => void) | null,
  ) {}
  name(): string {
    return this.node;
  }
  invalidates(other: NamedBroadcast): boolean {
    return typeof other.name === "function" && other.name() === this.node;
  }
  message(): Uint8Array {
    return this.msg;
  }
  finished(): void {
    this.notify?.();
  }
}

/** Encodes `msg` and queues it for gossip; `notify` runs when it has been sent enough or was replaced. */
export function encodeAndBroadcast(
  e: Engine,
  node: string,
  msg: Message,
  notify: (() => void) | null = null,
): void {
  e.broadcasts.queueBroadcast(new MemberBroadcast(node, encodeMessage(msg), notify));
}
