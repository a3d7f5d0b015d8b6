import assert from "node:assert/strict";
import { test } from "node:test";
import { silentLogger } from "../src/log.ts";
import { decodeMeta, encodeMeta, MemberlistMembership } from "../src/membership/memberlist-adapter.ts";
import type { PeerChange } from "../src/membership/membership.ts";
import { waitFor } from "./helpers.ts";

test("broker metadata round-trips and rejects foreign metadata", () => {
  assert.deepEqual(decodeMeta(encodeMeta({ httpPort: 8080 })), { httpPort: 8080 });
  assert.deepEqual(decodeMeta(encodeMeta({ httpPort: 1, httpHost: "10.0.0.1" })), {
    httpPort: 1,
    httpHost: "10.0.0.1",
  });
  for (const bad of ["", "8080", '{"p":0}', '{"p":70000}', '{"p":"80"}', "\u0000\u0001"]) {
    assert.equal(decodeMeta(new TextEncoder().encode(bad)), null, bad);
  }
  assert.ok(encodeMeta({ httpPort: 65535, httpHost: "a".repeat(253) }).length <= 512);
});

test("over real gossip, a peer's HTTP address is known from its first alive message", async () => {
  const common = { bindAddr: "127.0.0.1", gossipPort: 0, profile: "local" as const, logger: silentLogger };
  const a = await MemberlistMembership.create({ ...common, name: "ma", httpPort: 18001 });
  const b = await MemberlistMembership.create({ ...common, name: "mb", httpPort: 18002 });
  try {
    const seen: PeerChange[] = [];
    a.onChange((c) => seen.push(c));
    await b.join([`127.0.0.1:${a.ml.config.bindPort}`]);
    await waitFor(() => seen.length > 0 && b.peers().length === 1, "join seen on both sides");
    // No updateNode was ever called: the address came with the first alive.
    assert.deepEqual(seen[0], { type: "join", peer: { name: "mb", httpAddr: "127.0.0.1:18002" } });
    assert.deepEqual(b.peers(), [{ name: "ma", httpAddr: "127.0.0.1:18001" }]);
    assert.equal(a.status().memberCount, 2);
    await b.leave(2_000);
    await waitFor(() => seen.some((c) => c.type === "leave" && c.peer.name === "mb"), "leave seen");
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

test("over real gossip, a node is joining from its first join until one goes through", async () => {
  const common = { bindAddr: "127.0.0.1", gossipPort: 0, profile: "local" as const, logger: silentLogger };
  const a = await MemberlistMembership.create({ ...common, name: "ja", httpPort: 18003 });
  const b = await MemberlistMembership.create({ ...common, name: "jb", httpPort: 18004 });
  try {
    assert.equal(b.joining(), false, "a node never told to join is not joining");
    let told = 0;
    b.onJoined(() => told++);
    // Nobody listens on the gossip port of a closed socket: the join fails, the node stays joining.
    await assert.rejects(b.join(["127.0.0.1:1"]));
    assert.equal(b.joining(), true);
    assert.equal(told, 0);
    await b.join([`127.0.0.1:${a.ml.config.bindPort}`]);
    assert.equal(b.joining(), false);
    assert.equal(told, 1, "told once");
    await b.join([`127.0.0.1:${a.ml.config.bindPort}`]);
    assert.equal(told, 1, "a later join does not tell again");
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});
