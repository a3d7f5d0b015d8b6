/** Helpers for tests that run real members on loopback. */
import { defaultLocalConfig, Memberlist, type MemberlistConfig, silentLogger } from "../../src/index.ts";

/** A member on 127.0.0.1 with a free port and the local preset. */
export function localMember(name: string, extra: Partial<MemberlistConfig> = {}): Promise<Memberlist> {
  return Memberlist.create({
    ...defaultLocalConfig(),
    name,
    bindAddr: "127.0.0.1",
    bindPort: 0,
    logger: silentLogger,
    ...extra,
  });
}

export function addrOf(m: Memberlist): string {
  return `127.0.0.1:${m.localNode.port}`;
}

/** Polls `check` until it is true; fails after `timeoutMs` with `what` in the message. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stateOf(m: Memberlist, name: string): string | undefined {
  return m.allMembers().find((n) => n.name === name)?.state;
}
