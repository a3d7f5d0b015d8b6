import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, NetworkError, TimeoutError } from "../../src/errors.ts";
import { MemoryNetwork } from "../../src/transport/memory-transport.ts";
import { StreamReader } from "../../src/transport/stream-reader.ts";
import type { Packet, Stream } from "../../src/transport/transport.ts";
import { ManualTimers } from "./fake-stream.ts";
import { Inbox, patternBytes, readAll, readN, within } from "./helpers.ts";

function packetsOf(t: { setPacketHandler(h: (p: Packet) => void): void }): Inbox<Packet> {
  const inbox = new Inbox<Packet>();
  t.setPacketHandler(inbox.push);
  return inbox;
}

function streamsOf(t: { setStreamHandler(h: (s: Stream) => void): void }): Inbox<Stream> {
  const inbox = new Inbox<Stream>();
  t.setStreamHandler(inbox.push);
  return inbox;
}

describe("MemoryNetwork: packets", () => {
  it("delivers asynchronously, in order, as copies, with the injected clock", async () => {
    let clock = 5;
    const net = new MemoryNetwork({ now: () => clock });
    const a = net.createTransport("10.0.0.1", 7946);
    const b = net.createTransport("10.0.0.2", 7946);
    const bIn = packetsOf(b);
    const buf = Buffer.from([1, 2, 3]); // a Buffer: its slice() is a view, so a copy must be explicit
    await a.writeTo(buf, { host: "10.0.0.2", port: 7946 });
    buf[0] = 99; // the sender reusing its buffer must not change what was sent
    for (let i = 2; i <= 20; i++) await a.writeTo(Uint8Array.of(i), { host: "10.0.0.2", port: 7946 });
    assert.equal(bIn.size, 0, "nothing is delivered synchronously");
    clock = 42;
    const first = await bIn.next("first packet");
    assert.deepEqual(first.buf, Uint8Array.of(1, 2, 3));
    assert.deepEqual(first.from, { host: "10.0.0.1", port: 7946 });
    assert.equal(first.timestamp, 42);
    for (let i = 2; i <= 20; i++) assert.equal((await bIn.next(`packet ${i}`)).buf[0], i);
    assert.deepEqual(net.stats, { sent: 20, delivered: 20, dropped: 0 });
  });

  it("drops packets to unknown or shut-down addresses without an error", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const bIn = packetsOf(b);
    await a.writeTo(Uint8Array.of(1), { host: "10.0.0.9", port: 1 });
    await b.shutdown();
    await a.writeTo(Uint8Array.of(2), { host: "10.0.0.2", port: b.bindPort });
    // A packet to a live transport after them proves the earlier ones were processed.
    const c = net.createTransport("10.0.0.3");
    const cIn = packetsOf(c);
    await a.writeTo(Uint8Array.of(3), { host: "10.0.0.3", port: c.bindPort });
    await cIn.next("packet at c");
    assert.equal(bIn.size, 0);
    assert.deepEqual(net.stats, { sent: 3, delivered: 1, dropped: 2 });
    await assert.rejects(b.writeTo(Uint8Array.of(4), a.address), NetworkError);
    await assert.rejects(a.writeTo(Uint8Array.of(5), { host: "not-an-ip", port: 1 }), NetworkError);
  });

  it("setLinkDown cuts both directions between two hosts only, and can be undone", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const c = net.createTransport("10.0.0.3");
    const [aIn, bIn, cIn] = [packetsOf(a), packetsOf(b), packetsOf(c)];
    net.setLinkDown("10.0.0.1", "10.0.0.2");
    await a.writeTo(Uint8Array.of(1), b.address);
    await b.writeTo(Uint8Array.of(2), a.address);
    await a.writeTo(Uint8Array.of(3), c.address);
    assert.equal((await cIn.next("a to c")).buf[0], 3);
    net.setLinkDown("10.0.0.2", "10.0.0.1", false);
    await a.writeTo(Uint8Array.of(4), b.address);
    assert.equal((await bIn.next("a to b after repair")).buf[0], 4);
    assert.equal(aIn.size, 0);
    assert.equal(net.stats.dropped, 2);
  });

  it("a link between endpoints on one host cuts only those two", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("127.0.0.1", 1001);
    const b = net.createTransport("127.0.0.1", 1002);
    const c = net.createTransport("127.0.0.1", 1003);
    const [bIn, cIn] = [packetsOf(b), packetsOf(c)];
    net.setLinkDown(a.address, b.address);
    await a.writeTo(Uint8Array.of(1), b.address);
    await a.writeTo(Uint8Array.of(2), c.address);
    await c.writeTo(Uint8Array.of(3), b.address);
    assert.equal((await cIn.next("a to c")).buf[0], 2);
    assert.equal((await bIn.next("c to b")).buf[0], 3);
    assert.equal(net.stats.dropped, 1);
  });

  it("dropAll makes a host unreachable both ways", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const c = net.createTransport("10.0.0.3");
    const cIn = packetsOf(c);
    net.dropAll("10.0.0.2");
    await a.writeTo(Uint8Array.of(1), b.address);
    await b.writeTo(Uint8Array.of(2), c.address);
    await a.writeTo(Uint8Array.of(3), c.address);
    assert.equal((await cIn.next("a to c")).buf[0], 3);
    assert.equal(net.stats.dropped, 2);
    net.dropAll("10.0.0.2", false);
    await b.writeTo(Uint8Array.of(4), c.address);
    assert.equal((await cIn.next("b to c")).buf[0], 4);
  });

  it("setLoss drops the packets its random source picks", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const bIn = packetsOf(b);
    const draws = [0.1, 0.9, 0.29, 0.31, 0.5];
    net.setLoss(0.3, () => draws.shift() ?? 1);
    for (let i = 1; i <= 5; i++) await a.writeTo(Uint8Array.of(i), b.address);
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await bIn.next("surviving packet")).buf[0]);
    assert.deepEqual(got, [2, 4, 5]);
    assert.throws(() => net.setLoss(1.5), ConfigError);
  });
});

describe("MemoryNetwork: addresses", () => {
  it("allocates ports for port 0 and refuses a taken one", () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.1");
    assert.ok(a.bindPort > 0 && b.bindPort > 0);
    assert.notEqual(a.bindPort, b.bindPort);
    assert.throws(() => net.createTransport("10.0.0.1", a.bindPort), ConfigError);
    assert.equal(net.createTransport("10.0.0.2", a.bindPort).bindPort, a.bindPort);
    assert.throws(() => net.createTransport("0.0.0.0"), ConfigError);
    assert.throws(() => net.createTransport("node-1"), ConfigError);
    assert.throws(() => net.createTransport("10.0.0.3", 70_000), ConfigError);
  });

  it("frees the port at shutdown", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1", 7946);
    await a.shutdown();
    await a.shutdown();
    assert.equal(net.createTransport("10.0.0.1", 7946).bindPort, 7946);
  });

  it("finalAdvertiseAddr and resolve", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1", 7946);
    assert.deepEqual(a.finalAdvertiseAddr(undefined, undefined), { host: "10.0.0.1", port: 7946 });
    assert.deepEqual(a.finalAdvertiseAddr("192.168.1.1", 8000), { host: "192.168.1.1", port: 8000 });
    assert.throws(() => a.finalAdvertiseAddr("nope", 8000), ConfigError);
    assert.deepEqual(await a.resolve("::ffff:10.0.0.2"), ["10.0.0.2"]);
    await assert.rejects(a.resolve("localhost"), NetworkError);
  });
});

describe("MemoryNetwork: streams", () => {
  it("exchanges bytes both ways, including 5 MiB, with correct remote addresses", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1", 7946);
    const b = net.createTransport("10.0.0.2", 7946);
    const bStreams = streamsOf(b);
    const s = await a.dial(b.address, 1000);
    assert.deepEqual(s.remote, b.address);
    const accepted = await bStreams.next("accepted stream");
    assert.equal(accepted.remote.host, "10.0.0.1");

    const big = patternBytes(5 * 1024 * 1024, 4);
    await s.write(big);
    await s.write(Uint8Array.of(1, 2));
    const reader = new StreamReader(accepted);
    assert.deepEqual(await reader.readExact(big.length), big);
    assert.deepEqual(await reader.readExact(2), Uint8Array.of(1, 2));

    const reply = Buffer.from([7, 7]);
    await accepted.write(reply);
    reply[0] = 0; // written bytes are the writer's no longer
    accepted.close();
    assert.deepEqual(await readAll(s), Uint8Array.of(7, 7), "bytes sent before a close still arrive");
    await assert.rejects(s.write(Uint8Array.of(1)), NetworkError);
    await assert.rejects(accepted.write(Uint8Array.of(1)), NetworkError);
    s.close();
    s.close();
  });

  it("a close wakes a pending read on both ends", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const bStreams = streamsOf(b);
    const s = await a.dial(b.address, 1000);
    const accepted = await bStreams.next("accepted stream");
    const remoteRead = accepted.read();
    const localRead = s.read();
    s.close();
    assert.equal(await within(localRead, "local read"), null);
    assert.equal(await within(remoteRead, "remote read"), null);
  });

  it("a dial to an unknown address is refused with NetworkError", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    await assert.rejects(a.dial({ host: "10.0.0.9", port: 7946 }, 1000), (err) => {
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /refused/);
      return true;
    });
    await assert.rejects(a.dial({ host: "nope", port: 7946 }, 1000), NetworkError);
  });

  it("a dial across a dead link fails at its timeout", async () => {
    const timers = new ManualTimers();
    const net = new MemoryNetwork({ setTimer: timers.setTimer });
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const bStreams = streamsOf(b);
    net.dropAll(b.address);
    let settled = false;
    const dialing = a.dial(b.address, 500);
    dialing
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    assert.equal(timers.armed[0]?.ms, 500);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, "no answer before the timeout");
    timers.fireAll();
    await assert.rejects(dialing, (err) => {
      assert.ok(err instanceof NetworkError);
      assert.ok(err.cause instanceof TimeoutError);
      return true;
    });
    assert.equal(bStreams.size, 0);
  });

  it("shutdown closes accepted and dialed streams, aborts pending dials, and later calls fail", async () => {
    const timers = new ManualTimers();
    const net = new MemoryNetwork({ setTimer: timers.setTimer });
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const c = net.createTransport("10.0.0.3");
    const bStreams = streamsOf(b);
    streamsOf(a);
    const s = await a.dial(b.address, 1000);
    const accepted = await bStreams.next("accepted stream");
    const fromB = await b.dial(a.address, 1000);
    net.setLinkDown(b.address, c.address);
    const stuck = b.dial(c.address, 1000);
    const pendingRead = accepted.read();

    await b.shutdown();
    await b.shutdown();
    assert.equal(await within(pendingRead, "read on accepted stream"), null);
    assert.equal(await within(s.read(), "read on the dialer's side"), null);
    assert.equal(await fromB.read(), null);
    await assert.rejects(stuck, NetworkError);
    await assert.rejects(b.dial(a.address, 1000), NetworkError);
    await assert.rejects(b.writeTo(Uint8Array.of(1), a.address), NetworkError);
    await assert.rejects(a.dial(b.address, 1000), NetworkError);
  });

  it("streams dialed before the handler is set wait for it", async () => {
    const net = new MemoryNetwork();
    const a = net.createTransport("10.0.0.1");
    const b = net.createTransport("10.0.0.2");
    const s = await a.dial(b.address, 1000);
    await s.write(Uint8Array.of(42));
    const bStreams = streamsOf(b);
    const accepted = await bStreams.next("queued stream");
    assert.deepEqual(await readN(accepted, 1), Uint8Array.of(42));
  });
});
