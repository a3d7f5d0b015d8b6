import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { type AddressInfo, connect, createServer } from "node:net";
import type { NetworkInterfaceInfo } from "node:os";
import { after, describe, it } from "node:test";
import type { Packet, Stream } from "../../src/driver.ts";
import { ConfigError, NetworkError, TimeoutError } from "../../src/errors.ts";
import { NetTransport, type NetTransportOptions } from "../../src/transport/net-transport.ts";
import { READ_HIGH_WATER, type SocketStream } from "../../src/transport/socket-stream.ts";
import { hasIPv6Loopback, Inbox, patternBytes, readN, within } from "./helpers.ts";

const opened: NetTransport[] = [];
after(async () => {
  await Promise.all(opened.map((t) => t.shutdown()));
});

async function open(opts: Partial<NetTransportOptions> = {}): Promise<NetTransport> {
  const t = await NetTransport.create({ bindAddr: "127.0.0.1", bindPort: 0, ...opts });
  opened.push(t);
  return t;
}

function packetsOf(t: NetTransport): Inbox<Packet> {
  const inbox = new Inbox<Packet>();
  t.setPacketHandler(inbox.push);
  return inbox;
}

function streamsOf(t: NetTransport): Inbox<Stream> {
  const inbox = new Inbox<Stream>();
  t.setStreamHandler(inbox.push);
  return inbox;
}

/** A port nothing listens on right now (bound then released). */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once `cond()` holds, checking after each turn of the event loop; fails at the deadline. */
async function until(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > deadlineMs) throw new Error(`${what} not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function udpRoundTrip(host: string): Promise<void> {
  let clock = 1000;
  const a = await open({ bindAddr: host, now: () => clock });
  const b = await open({ bindAddr: host, now: () => clock });
  const aIn = packetsOf(a);
  const bIn = packetsOf(b);
  const ping = patternBytes(300, 7);
  clock = 1234.5;
  await a.writeTo(ping, { host, port: b.bindPort });
  const got = await bIn.next("packet at b");
  assert.deepEqual(got.buf, ping);
  assert.deepEqual(got.from, { host, port: a.bindPort });
  assert.equal(got.timestamp, 1234.5);

  const pong = patternBytes(20, 9);
  await b.writeTo(pong, got.from);
  const back = await aIn.next("packet at a");
  assert.deepEqual(back.buf, pong);
  assert.deepEqual(back.from, { host, port: b.bindPort });
}

describe("NetTransport: UDP", () => {
  it("round-trips datagrams on 127.0.0.1 with the injected clock", () => udpRoundTrip("127.0.0.1"));

  it("round-trips datagrams on ::1", (t) => {
    if (!hasIPv6Loopback()) {
      t.skip("no IPv6 loopback on this machine");
      return;
    }
    return udpRoundTrip("::1");
  });

  it("a dual-stack '::' socket reports IPv4 peers as dotted quads and can answer them", async (t) => {
    if (!hasIPv6Loopback()) {
      t.skip("no IPv6 on this machine");
      return;
    }
    const wild = await open({ bindAddr: "::" });
    const v4 = await open({ bindAddr: "127.0.0.1" });
    const wildIn = packetsOf(wild);
    const v4In = packetsOf(v4);
    await v4.writeTo(Uint8Array.of(1, 2, 3), { host: "127.0.0.1", port: wild.bindPort });
    const got = await wildIn.next("packet at ::");
    assert.deepEqual(got.from, { host: "127.0.0.1", port: v4.bindPort });
    await wild.writeTo(Uint8Array.of(4, 5), got.from);
    const back = await v4In.next("reply at 127.0.0.1");
    assert.deepEqual(back.buf, Uint8Array.of(4, 5));
  });

  it("sends exactly the bytes of a view into a larger buffer", async () => {
    const a = await open();
    const b = await open();
    const bIn = packetsOf(b);
    const backing = patternBytes(100, 5);
    await a.writeTo(backing.subarray(10, 20), { host: "127.0.0.1", port: b.bindPort });
    assert.deepEqual((await bIn.next("packet")).buf, backing.slice(10, 20));
  });

  it("receives a datagram of 65,000 bytes intact", async () => {
    const a = await open();
    const b = await open();
    const bIn = packetsOf(b);
    const big = patternBytes(65_000, 3);
    await a.writeTo(big, { host: "127.0.0.1", port: b.bindPort });
    const got = await bIn.next("large packet");
    assert.equal(got.buf.length, big.length);
    assert.deepEqual(got.buf, big);
  });

  it("does not lose packets sent before the handler is set", async () => {
    const a = await open();
    const b = await open();
    for (const n of [1, 2, 3]) await a.writeTo(Uint8Array.of(n), { host: "127.0.0.1", port: b.bindPort });
    const bIn = packetsOf(b);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push((await bIn.next("early packet")).buf[0] ?? -1);
    assert.deepEqual(got, [1, 2, 3]);
  });

  it("keeps delivering after a packet handler throws", async () => {
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
    const a = await open();
    const b = await open({ logger });
    const bIn = new Inbox<Packet>();
    b.setPacketHandler((p) => {
      if (p.buf[0] === 0xee) throw new Error("boom");
      bIn.push(p);
    });
    await a.writeTo(Uint8Array.of(0xee), { host: "127.0.0.1", port: b.bindPort });
    await a.writeTo(Uint8Array.of(0x01), { host: "127.0.0.1", port: b.bindPort });
    const got = await bIn.next("packet after the throwing one");
    assert.equal(got.buf[0], 0x01);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? "", /boom/);
  });

  it("survives sending to a port where nobody listens", async () => {
    const a = await open();
    const b = await open();
    const bIn = packetsOf(b);
    const silent = await freeTcpPort(); // very likely free on UDP too; either way nobody answers
    for (let i = 0; i < 5; i++) await a.writeTo(Uint8Array.of(i), { host: "127.0.0.1", port: silent });
    await a.writeTo(Uint8Array.of(0xaa), { host: "127.0.0.1", port: b.bindPort });
    assert.equal((await bIn.next("packet after the unanswered ones")).buf[0], 0xaa);
  });

  it("rejects (never throws) sends it cannot make", async () => {
    const a = await open();
    const cases = [
      { host: "::1", port: 7946 }, // IPv6 peer from an IPv4 socket
      { host: "localhost", port: 7946 }, // not an IP literal
      { host: "127.0.0.1", port: 0 },
      { host: "127.0.0.1", port: 70_000 },
    ];
    for (const addr of cases) {
      let pending: Promise<void> | undefined;
      assert.doesNotThrow(() => {
        pending = a.writeTo(Uint8Array.of(1), addr);
      });
      await assert.rejects(pending!, NetworkError, `${addr.host}:${addr.port}`);
    }
    // Larger than any IPv4 datagram: the OS refuses it.
    await assert.rejects(
      a.writeTo(new Uint8Array(70_000), { host: "127.0.0.1", port: a.bindPort }),
      NetworkError,
    );
  });
});

describe("NetTransport: binding", () => {
  it("port 0 picks one port that serves both UDP and TCP", async () => {
    const a = await open();
    const b = await open();
    assert.ok(b.bindPort > 0);
    const bIn = packetsOf(b);
    const bStreams = streamsOf(b);
    await a.writeTo(Uint8Array.of(9), { host: "127.0.0.1", port: b.bindPort });
    assert.equal((await bIn.next("packet")).buf[0], 9);
    const s = await a.dial({ host: "127.0.0.1", port: b.bindPort }, 5000);
    assert.equal(s.remote.port, b.bindPort);
    const accepted = await bStreams.next("accepted stream");
    s.close();
    accepted.close();
  });

  it("a port taken on TCP gives a ConfigError", async () => {
    const a = await open();
    await assert.rejects(NetTransport.create({ bindAddr: "127.0.0.1", bindPort: a.bindPort }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /in use/);
      return true;
    });
  });

  it("a port taken on UDP only gives a ConfigError and releases the TCP listener", async () => {
    const udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    const port = udp.address().port;
    try {
      await assert.rejects(NetTransport.create({ bindAddr: "127.0.0.1", bindPort: port }), (err) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /udp.*in use/);
        return true;
      });
      // The TCP side must have been closed again: listening on it works.
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      udp.close();
    }
  });

  it("rejects bad bind addresses and ports with ConfigError", async () => {
    // 203.0.113.0/24 is TEST-NET-3: never an address of this machine.
    await assert.rejects(NetTransport.create({ bindAddr: "203.0.113.7", bindPort: 0 }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /not an address of this machine/);
      return true;
    });
    await assert.rejects(NetTransport.create({ bindAddr: "localhost", bindPort: 0 }), ConfigError);
    await assert.rejects(NetTransport.create({ bindAddr: "127.0.0.1", bindPort: -1 }), ConfigError);
    await assert.rejects(NetTransport.create({ bindAddr: "127.0.0.1", bindPort: 65_536 }), ConfigError);
    await assert.rejects(NetTransport.create({ bindAddr: "127.0.0.1", bindPort: 1.5 }), ConfigError);
  });
});

describe("NetTransport: streams", () => {
  it("exchanges bytes both ways and reports both ends' addresses", async () => {
    const a = await open();
    const b = await open();
    const bStreams = streamsOf(b);
    const s = await a.dial({ host: "127.0.0.1", port: b.bindPort }, 5000);
    assert.deepEqual(s.remote, { host: "127.0.0.1", port: b.bindPort });
    const accepted = await bStreams.next("accepted stream");
    assert.equal(accepted.remote.host, "127.0.0.1");
    assert.notEqual(accepted.remote.port, 0);

    await s.write(new TextEncoder().encode("ping"));
    assert.equal(new TextDecoder().decode(await readN(accepted, 4)), "ping");
    await accepted.write(new TextEncoder().encode("ack!"));
    assert.equal(new TextDecoder().decode(await readN(s, 4)), "ack!");

    accepted.close();
    assert.equal(await within(s.read(), "read after the peer closed"), null);
    assert.equal(await accepted.read(), null);
    await assert.rejects(accepted.write(Uint8Array.of(1)), NetworkError);
    s.close();
    s.close(); // idempotent
    assert.equal(await s.read(), null);
  });

  it("carries 5 MiB with the reader paused at the high-water mark", async () => {
    const a = await open();
    const b = await open();
    const bStreams = streamsOf(b);
    const s = await a.dial({ host: "127.0.0.1", port: b.bindPort }, 5000);
    const accepted = (await bStreams.next("accepted stream")) as SocketStream;
    const payload = patternBytes(5 * 1024 * 1024, 11);
    let written = false;
    const writing = s.write(payload).then(() => {
      written = true;
    });
    // Nobody reads yet, so unread bytes pile up until the socket is paused.
    await until(() => accepted.bufferedBytes > READ_HIGH_WATER, "high-water mark");
    let maxBuffered = 0;
    const received = new Uint8Array(payload.length);
    let at = 0;
    while (at < payload.length) {
      maxBuffered = Math.max(maxBuffered, accepted.bufferedBytes);
      const chunk = await within(accepted.read(), "chunk");
      assert.ok(chunk !== null, `stream ended after ${at} bytes`);
      received.set(chunk, at);
      at += chunk.length;
    }
    await within(writing, "5 MiB write");
    assert.ok(written);
    assert.deepEqual(received, payload);
    // Paused above the mark: at most the mark plus the reads already under way (64 KiB each).
    assert.ok(maxBuffered <= READ_HIGH_WATER + 4 * 65_536, `buffered up to ${maxBuffered} bytes`);
    s.close();
    accepted.close();
  });

  it("a dual-stack '::' listener reports IPv4 dialers as dotted quads", async (t) => {
    if (!hasIPv6Loopback()) {
      t.skip("no IPv6 on this machine");
      return;
    }
    const wild = await open({ bindAddr: "::" });
    const v4 = await open();
    const wildStreams = streamsOf(wild);
    const s = await v4.dial({ host: "127.0.0.1", port: wild.bindPort }, 5000);
    const accepted = await wildStreams.next("accepted stream");
    assert.equal(accepted.remote.host, "127.0.0.1");
    s.close();
    accepted.close();
  });

  it("a connection reset by the peer ends reads and fails writes, without an unhandled error", async () => {
    const b = await open();
    const bStreams = streamsOf(b);
    const raw = connect({ host: "127.0.0.1", port: b.bindPort });
    await new Promise<void>((resolve, reject) => {
      raw.once("connect", resolve);
      raw.once("error", reject);
    });
    const accepted = await bStreams.next("accepted stream");
    raw.resetAndDestroy();
    assert.equal(await within(accepted.read(), "read after reset"), null);
    await assert.rejects(accepted.write(Uint8Array.of(1)), NetworkError);
  });

  it("writes fail with NetworkError once the peer has closed", async () => {
    const a = await open();
    const b = await open();
    const bStreams = streamsOf(b);
    const s = await a.dial({ host: "127.0.0.1", port: b.bindPort }, 5000);
    const accepted = await bStreams.next("accepted stream");
    accepted.close();
    // The first writes may still land in the kernel buffer; once the peer's reset is seen they fail.
    let failure: unknown;
    const start = Date.now();
    while (failure === undefined && Date.now() - start < 10_000) {
      await s.write(new Uint8Array(1024)).catch((err: unknown) => {
        failure = err;
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(failure instanceof NetworkError, `write after the peer closed: ${String(failure)}`);
    assert.equal(await s.read(), null);
    s.close();
  });

  it("a refused dial rejects with NetworkError", async () => {
    const a = await open();
    const port = await freeTcpPort();
    await assert.rejects(a.dial({ host: "127.0.0.1", port }, 5000), (err) => {
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  it("a dial that does not connect in time rejects with NetworkError and closes the socket", async () => {
    const timers: Array<() => void> = [];
    const a = await open({
      setTimer: (_ms, fn) => {
        timers.push(fn);
        return { cancel() {} };
      },
    });
    const b = await open();
    const bStreams = streamsOf(b);
    const dialing = a.dial({ host: "127.0.0.1", port: b.bindPort }, 250);
    assert.equal(timers.length, 1);
    timers[0]?.(); // the deadline passes before the connection can complete
    await assert.rejects(dialing, (err) => {
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /timed out after 250 ms/);
      assert.ok(err.cause instanceof TimeoutError);
      return true;
    });
    // A later dial to the same peer is unaffected.
    const s = await a.dial({ host: "127.0.0.1", port: b.bindPort }, 250);
    timers[1]?.();
    await s.write(Uint8Array.of(1));
    const accepted = await bStreams.next("accepted stream");
    assert.deepEqual(await readN(accepted, 1), Uint8Array.of(1));
    s.close();
    accepted.close();
  });

  it("dial rejects addresses that are not IP literals", async () => {
    const a = await open();
    await assert.rejects(a.dial({ host: "localhost", port: 7946 }, 1000), NetworkError);
    await assert.rejects(a.dial({ host: "127.0.0.1", port: 0 }, 1000), NetworkError);
  });
});

describe("NetTransport: shutdown", () => {
  it("is idempotent, closes accepted and dialed streams, and frees the port", async () => {
    const a = await open();
    const b = await NetTransport.create({ bindAddr: "127.0.0.1", bindPort: 0 });
    const bStreams = streamsOf(b);
    const s = await a.dial({ host: "127.0.0.1", port: b.bindPort }, 5000);
    const accepted = await bStreams.next("accepted stream");
    const fromB = await b.dial({ host: "127.0.0.1", port: a.bindPort }, 5000);
    const pendingRead = accepted.read();

    const first = b.shutdown();
    const second = b.shutdown();
    assert.equal(first, second);
    await within(first, "shutdown");
    await within(b.shutdown(), "second shutdown");

    assert.equal(await within(pendingRead, "pending read on accepted stream"), null);
    assert.equal(await within(s.read(), "read on the dialer's side"), null);
    assert.equal(await fromB.read(), null);
    await assert.rejects(fromB.write(Uint8Array.of(1)), NetworkError);
    await assert.rejects(b.writeTo(Uint8Array.of(1), { host: "127.0.0.1", port: a.bindPort }), NetworkError);
    await assert.rejects(b.dial({ host: "127.0.0.1", port: a.bindPort }, 1000), NetworkError);
    s.close();

    // Both sockets were released: the same port binds again.
    const again = await open({ bindPort: b.bindPort });
    assert.equal(again.bindPort, b.bindPort);
  });
});

describe("NetTransport: resolve", () => {
  it("passes IP literals through and resolves localhost", async () => {
    const a = await open();
    assert.deepEqual(await a.resolve("10.1.2.3"), ["10.1.2.3"]);
    assert.deepEqual(await a.resolve("fe80::1"), ["fe80::1"]);
    assert.deepEqual(await a.resolve("::ffff:10.1.2.3"), ["10.1.2.3"]);
    const local = await a.resolve("localhost");
    assert.ok(local.length > 0);
    assert.ok(
      local.every((h) => h === "127.0.0.1" || h === "::1"),
      local.join(","),
    );
  });

  it("rejects a name that does not exist with NetworkError", async () => {
    const a = await open();
    // RFC 6761 reserves .invalid: it never resolves.
    await assert.rejects(a.resolve("no-such-host.invalid"), NetworkError);
    await assert.rejects(a.resolve(""), NetworkError);
  });
});

describe("NetTransport: finalAdvertiseAddr", () => {
  const iface = (address: string, internal = false): NetworkInterfaceInfo => {
    const common = { address, mac: "00:00:00:00:00:00", internal, cidr: `${address}/24` };
    return address.includes(":")
      ? { ...common, family: "IPv6", netmask: "ffff:ffff:ffff:ffff::", scopeid: 0 }
      : { ...common, family: "IPv4", netmask: "255.255.255.0" };
  };

  it("uses an explicit IP literal, with the given port or else the bound one", async () => {
    const a = await open();
    assert.deepEqual(a.finalAdvertiseAddr("10.0.0.5", 8000), { host: "10.0.0.5", port: 8000 });
    assert.deepEqual(a.finalAdvertiseAddr("10.0.0.5", undefined), { host: "10.0.0.5", port: a.bindPort });
    assert.deepEqual(a.finalAdvertiseAddr("::ffff:10.0.0.5", 8000), { host: "10.0.0.5", port: 8000 });
    assert.deepEqual(a.finalAdvertiseAddr("2001:db8::1", 8000), { host: "2001:db8::1", port: 8000 });
    assert.throws(() => a.finalAdvertiseAddr("node1.example", 8000), ConfigError);
    assert.throws(() => a.finalAdvertiseAddr("10.0.0.5", 70_000), ConfigError);
  });

  it("uses the bound address and port when bound to a specific address", async () => {
    const a = await open();
    assert.deepEqual(a.finalAdvertiseAddr(undefined, undefined), { host: "127.0.0.1", port: a.bindPort });
    // Go ignores the advertise port when no advertise address is given.
    assert.deepEqual(a.finalAdvertiseAddr("", 9999), { host: "127.0.0.1", port: a.bindPort });
  });

  it("on a wildcard bind picks the first private IPv4, else falls back to loopback", async () => {
    let table: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
    const a = await open({ bindAddr: "0.0.0.0", networkInterfaces: () => table });
    table = {
      lo: [iface("127.0.0.1", true), iface("::1", true)],
      eth0: [iface("203.0.113.9"), iface("fd00::2")],
      eth1: [iface("172.20.1.2")],
      eth2: [iface("10.1.1.1")],
    };
    assert.deepEqual(a.finalAdvertiseAddr(undefined, undefined), { host: "172.20.1.2", port: a.bindPort });
    table = { lo: [iface("127.0.0.1", true)], tailscale0: [iface("100.100.1.1")] };
    assert.equal(a.finalAdvertiseAddr(undefined, undefined).host, "100.100.1.1");
    table = { lo: [iface("127.0.0.1", true)], eth0: [iface("172.32.0.1"), iface("100.128.0.1")] };
    assert.equal(a.finalAdvertiseAddr(undefined, undefined).host, "127.0.0.1");
    table = { lo: [iface("::1", true)] };
    assert.equal(a.finalAdvertiseAddr(undefined, undefined).host, "::1");
  });
});
