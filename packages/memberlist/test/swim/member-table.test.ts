/**
 * The member table, alone and on a shared view: lookups, random insertion, copy on write (a shared
 * record is never changed), removal of shared members and their return.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SharedMembers, SharedMemberTable } from "../../src/swim/formed-cluster.ts";
import { type Members, MemberTable } from "../../src/swim/member-table.ts";
import type { NodeRecord } from "../../src/swim/node-record.ts";
import { NodeState } from "../../src/wire/messages.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";

function rec(name: string, incarnation = 1): NodeRecord {
  return {
    name,
    addr: Uint8Array.of(10, 0, 0, 1),
    host: "10.0.0.1",
    port: 7946,
    meta: new Uint8Array(0),
    incarnation,
    state: NodeState.Alive,
    stateChange: 0,
    vsn: Uint8Array.of(1, 5, 2, 2, 5, 2),
  };
}

function view(names: string[]): SharedMembers {
  const records = names.map((n) => Object.freeze(rec(n)));
  return { byName: new Map(records.map((r) => [r.name, r])), records };
}

const names = (t: Members) => t.order.map((r) => r.name).sort();

describe("member table", () => {
  it("owns and changes records in place without a shared view", () => {
    const t = new MemberTable();
    const a = rec("a");
    t.insert(a, 0);
    t.insert(rec("b"), 0);
    assert.equal(t.size, 2);
    assert.equal(t.get("a"), a);
    assert.equal(t.writable(a), a);
    assert.equal(t.get("zzz"), undefined);
    // Insertion at a position moves the member there to the end.
    assert.deepEqual(
      t.order.map((r) => r.name),
      ["b", "a"],
    );
  });

  it("adopts a shared view, keeps its own records, and copies a shared record on first write", () => {
    const shared = view(["a", "b", "c", "me"]);
    const me = rec("me", 7);
    const t = new SharedMemberTable(shared, [me], new FakeRuntime(3));
    assert.deepEqual(names(t), ["a", "b", "c", "me"]);
    assert.equal(t.get("me"), me, "our own record stays ours");
    const b = t.get("b")!;
    assert.equal(b, shared.byName.get("b"));
    const copy = t.writable(b);
    assert.notEqual(copy, b);
    copy.incarnation = 9;
    assert.equal(t.get("b"), copy);
    assert.ok(t.order.includes(copy) && !t.order.includes(b), "the copy replaces the shared record");
    assert.equal(shared.byName.get("b")!.incarnation, 1, "the shared record is unchanged");
    assert.equal(t.writable(copy), copy, "a second write changes our copy in place");
  });

  it("removes shared members for itself only, and takes them back as new", () => {
    const shared = view(["a", "b", "c"]);
    const t = new SharedMemberTable(shared, [], new FakeRuntime(1));
    const other = new SharedMemberTable(shared, [], new FakeRuntime(2));
    t.retain((r) => r.name !== "b");
    assert.equal(t.get("b"), undefined);
    assert.deepEqual(names(t), ["a", "c"]);
    assert.equal(other.get("b"), shared.byName.get("b"), "another table still sees it");
    const back = rec("b", 2);
    t.insert(back, 1);
    assert.equal(t.get("b"), back);
    assert.deepEqual(names(t), ["a", "b", "c"]);
  });

  it("shuffles the adopted order with the runtime's random numbers", () => {
    const shared = view(Array.from({ length: 50 }, (_, i) => `n${i}`));
    const orderWith = (seed: number) => {
      const t = new SharedMemberTable(shared, [], new FakeRuntime(seed));
      return t.order.map((r) => r.name).join(",");
    };
    assert.equal(orderWith(5), orderWith(5));
    assert.notEqual(orderWith(5), orderWith(6));
  });
});
