/**
 * Hostile input on real loopback sockets (issue 10): compression bombs over UDP, floods of junk
 * datagrams, and TCP streams that never finish. Every case is bounded, counted and (rate-limited) logged.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { after, test } from "node:test";
import type { Logger, Memberlist } from "../src/index.ts";
import {
  compressMessage,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  MessageType,
} from "../src/wire/index.ts";
import { addrOf, localMember, waitUntil } from "./helpers/cluster.ts";
import { RecordingSink } from "./helpers/recording-sink.ts";

const MiB = 1024 * 1024;
const live: Memberlist[] = [];
const sockets: Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(live.map((m) => m.shutdown()));
});

/** A logger that keeps its warnings and debug lines. */
function recordingLogger(): Logger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return {
    warnings,
    debugs,
    debug: (m) => debugs.push(m),
    info() {},
    warn: (m) => warnings.push(m),
    error() {},
  };
}

async function member(name: string, extra: Parameters<typeof localMember>[1] = {}) {
  const metrics = new RecordingSink();
  const logger = recordingLogger();
  const m = await localMember(name, { metrics, logger, ...extra });
  live.push(m);
  return { m, metrics, logger };
}

async function sendDatagrams(port: number, bufs: Uint8Array[]): Promise<void> {
  const udp = createSocket("udp4");
  try {
    for (const b of bufs) {
      await new Promise<void>((resolve, reject) =>
        udp.send(b, port, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
      );
    }
  } finally {
    udp.close();
  }
}

/** A user message of `n` zero bytes, compressed: a few KB on the wire. */
function bomb(n: number): Uint8Array {
  const msg = new Uint8Array(n + 1);
  msg[0] = MessageType.User;
  return compressMessage(msg);
}

/** Opens a TCP connection and resolves once connected; `closed` tells when the node closed it. */
async function open(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect({ host: "127.0.0.1", port });
  sockets.push(socket);
  let closed = false;
  socket.on("error", () => {});
  socket.resume(); // read (and drop) any reply, so that the end is seen
  socket.on("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, closed: () => closed };
}

/** The first `n` bytes of a plaintext push/pull that announces 20 MiB of user state. */
function partialPushPull(n: number): Uint8Array {
  const full = encodePushPull({ join: false, nodes: [], userState: new Uint8Array(20 * MiB - 64) });
  return full.slice(0, n);
}

test("a compression bomb datagram is dropped at the bound and counted, not delivered", async () => {
  const { m, metrics } = await member("bomb-target");
  const delivered: Uint8Array[] = [];
  m.on("message", (msg) => delivered.push(msg));
  const datagram = bomb(40 * MiB);
  assert.ok(datagram.length < 40_000, `the bomb is ${datagram.length} bytes on the wire`);
  // 1 MiB of user message in a small datagram: accepted before (Go's 40 MiB bound), past ours. Then a
  // legitimate compressed datagram, which is handled after them (one sender, in order, on loopback).
  await sendDatagrams(m.localNode.port, [datagram, bomb(MiB), bomb(1000)]);
  await waitUntil(() => delivered.some((d) => d.length === 1000), "the legitimate compressed message");
  assert.deepEqual(
    delivered.map((d) => d.length),
    [1000],
    "only the legitimate message is delivered",
  );
  assert.equal(metrics.counter("shoal.memberlist.packet.dropped", { reason: "decompression_limit" }), 2);
});

test("junk datagrams are all counted but write at most junkWarningsPerMinute lines", async () => {
  const { m, metrics, logger } = await member("junk-target", { junkWarningsPerMinute: 5 });
  const delivered: Uint8Array[] = [];
  m.on("message", (msg) => delivered.push(msg));
  const junk = Array.from({ length: 300 }, (_, i) => Uint8Array.of(MessageType.Alive, 0xc1, i & 0xff));
  await sendDatagrams(m.localNode.port, [...junk, Uint8Array.of(MessageType.User, 42)]);
  await waitUntil(() => delivered.length === 1, "the datagram sent after the junk");
  assert.equal(logger.warnings.length, 5, "five lines, not one per datagram");
  assert.equal(metrics.counter("shoal.memberlist.packet.dropped", { reason: "malformed" }), 300);
});

test("inbound streams past maxInboundStreams are closed at once and counted", async () => {
  const { m, metrics, logger } = await member("stream-cap", { maxInboundStreams: 4, tcpTimeout: 60_000 });
  const conns: Awaited<ReturnType<typeof open>>[] = [];
  for (let i = 0; i < 10; i++) conns.push(await open(m.localNode.port));
  await waitUntil(() => conns.filter((c) => c.closed()).length === 6, "six streams refused");
  assert.equal(metrics.counter("shoal.memberlist.stream.refused", { reason: "too_many_streams" }), 6);
  assert.equal(metrics.counter("memberlist.tcp.accept"), 10);
  // The four admitted ones stay until their deadline; once they end (the node sees each close and
  // gives its slot back), new streams are served again: a join's push/pull goes through.
  const ended = () => logger.debugs.filter((d) => d === "stream exchange failed").length;
  assert.equal(ended(), 0, "the admitted streams are held open");
  for (const c of conns) c.socket.destroy();
  await waitUntil(() => ended() === 4, "the four admitted streams to end at the node");
  const { m: peer } = await member("stream-cap-peer");
  assert.equal(await peer.join([addrOf(m)]), 1, "a new stream is admitted once the others ended");
  assert.equal(metrics.counter("shoal.memberlist.stream.refused", { reason: "too_many_streams" }), 6);
});

test("unfinished push/pulls share maxInboundStreamBytes: past it a stream is closed", async () => {
  const { m, metrics } = await member("stream-bytes", { maxInboundStreamBytes: MiB, tcpTimeout: 60_000 });
  const chunk = partialPushPull(600 * 1024);
  const conns: Awaited<ReturnType<typeof open>>[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await open(m.localNode.port);
    c.socket.write(chunk);
    conns.push(c);
  }
  await waitUntil(() => conns.some((c) => c.closed()), "a stream past the byte budget closed");
  assert.ok(metrics.counter("shoal.memberlist.stream.refused", { reason: "buffer_limit" }) >= 1);
});

test("a stream message that decompresses past maxInboundStreamBytes is refused, not delivered", async () => {
  const { m, metrics } = await member("stream-bomb", { maxInboundStreamBytes: MiB, tcpTimeout: 60_000 });
  const delivered: Uint8Array[] = [];
  m.on("message", (msg) => delivered.push(msg));
  const frame = (n: number) =>
    encodeStreamMessage(encodeUserStreamMessage(new Uint8Array(n)), {
      compress: true,
      key: null,
      encryptionVersion: 1,
      label: "",
    });
  // 8 MiB of user message in a frame of a few KB: under the budget while unfinished, far past it
  // once expanded (it was expanded anyway, up to Go's 40 MiB, outside the budget).
  const bomb = frame(8 * MiB);
  assert.ok(bomb.length < 100_000, `the bomb is ${bomb.length} bytes on the wire`);
  const bad = await open(m.localNode.port);
  bad.socket.write(bomb);
  await waitUntil(() => bad.closed(), "the bomb's stream closed");
  assert.equal(metrics.counter("shoal.memberlist.stream.refused", { reason: "buffer_limit" }), 1);
  // A compressed message within the budget is still delivered, and the bomb never was.
  const good = await open(m.localNode.port);
  good.socket.write(frame(100_000));
  await waitUntil(() => delivered.length > 0, "the legitimate compressed stream message");
  assert.deepEqual(
    delivered.map((d) => d.length),
    [100_000],
  );
});

test("a keyed node closes a plaintext stream at its first byte, without buffering it", async () => {
  const { m } = await member("keyed", { secretKey: new Uint8Array(16).fill(3), tcpTimeout: 60_000 });
  const c = await open(m.localNode.port);
  c.socket.write(partialPushPull(256 * 1024));
  await waitUntil(() => c.closed(), "the keyless sender's stream closed", 5_000);
});

test("a stream that never finishes its frame ends at tcpTimeout", async () => {
  const { m } = await member("deadline", { tcpTimeout: 300 });
  const c = await open(m.localNode.port);
  c.socket.write(partialPushPull(1024));
  await waitUntil(() => c.closed(), "the unfinished stream closed by the deadline", 10_000);
});
