/**
 * Shoal's wire layer on real sockets against a live Go memberlist 0.2.2 node (encrypted with AES-256,
 * compression on): a push/pull exchange and user messages over TCP, a ping/ack and a user message over
 * UDP, and Go's encrypted error reply to a plaintext stream. No Shoal engine involved: bytes only.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { connect } from "node:net";
import { test } from "node:test";
import {
  decodeMessage,
  decodePacket,
  decodePushPull,
  decodeStreamMessage,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  flattenMessage,
  type Message,
  MessageType,
  NodeState,
  streamFrameLength,
} from "@shoal/memberlist/wire";
import { ClusterNode } from "../lib/cluster-node.ts";
import { skipWithoutGo } from "./go-skip.ts";

const skip = skipWithoutGo("interop/test/live-wire.test.ts", "Shoal's wire format against a live Go node");

const key = new Uint8Array(32).map((_, i) => i * 7 + 3);
const loopback = Uint8Array.of(127, 0, 0, 1);
const vsn = Uint8Array.of(1, 5, 2, 0, 0, 0);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const streamOpts = { compress: true, key, encryptionVersion: 1 as const, label: "" };
const decodeOpts = { keys: [key], label: "", verifyIncoming: true };

/** Writes one stream message and reads until Go closes the connection or a full frame arrived. */
function exchange(port: number, bytes: Uint8Array, expectReply: boolean): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(bytes);
      if (!expectReply) socket.end();
    });
    const finish = (): void => {
      socket.destroy();
      resolve(new Uint8Array(Buffer.concat(chunks)));
    };
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      const got = new Uint8Array(Buffer.concat(chunks));
      if (streamFrameLength(got) !== undefined) finish();
    });
    socket.on("end", finish);
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("no stream reply within 10 s")));
  });
}

/** Resolves with the first UDP datagram on `socket` whose leaf messages satisfy `match`. */
function receiveLeaf(socket: Socket, match: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("message", onMessage);
      reject(new Error("no matching UDP message from Go"));
    }, timeoutMs);
    function onMessage(buf: Buffer): void {
      const plain = decodePacket(new Uint8Array(buf), decodeOpts);
      for (const leaf of flattenMessage(plain)) {
        const m = decodeMessage(leaf);
        if (!match(m)) continue;
        clearTimeout(timer);
        socket.off("message", onMessage);
        resolve(m);
        return;
      }
    }
    socket.on("message", onMessage);
  });
}

test("bytes only, against a live Go node with AES-256 and compression", { skip }, async (t) => {
  const go = await ClusterNode.start("go", {
    name: "go-live",
    key,
    compression: true,
    localState: "go-user-state",
  });
  t.after(() => go.kill());
  const udp = createSocket("udp4");
  t.after(() => new Promise<void>((resolve) => udp.close(() => resolve())));
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const udpPort = udp.address().port;

  await t.test("push/pull over TCP: Go reads our state and answers with its own", async () => {
    // A "left" entry: Go records it without probing it afterwards.
    const ours = encodePushPull({
      join: true,
      nodes: [
        {
          name: "shoal-probe",
          addr: loopback,
          port: udpPort,
          meta: ascii("m"),
          incarnation: 1,
          state: NodeState.Left,
          vsn,
        },
      ],
      userState: ascii("shoal-user-state"),
    });
    const reply = await exchange(go.port, encodeStreamMessage(ours, streamOpts), true);
    assert.equal(reply[0], MessageType.Encrypt);
    assert.equal(streamFrameLength(reply), reply.length);
    const plain = decodeStreamMessage(reply, decodeOpts);
    assert.equal(plain[0], MessageType.PushPull);
    const pp = decodePushPull(plain.subarray(1));
    assert.equal(pp.join, true);
    assert.equal(new TextDecoder().decode(pp.userState!), "go-user-state");
    const self = pp.nodes.find((n) => n.name === "go-live");
    assert.ok(self, "Go's push/pull lacks its own entry");
    assert.deepEqual([self.state, self.port, [...self.addr]], [NodeState.Alive, go.port, [127, 0, 0, 1]]);
    assert.equal(self.vsn.length, 6);
    const merged = await go.waitForEvent((e) => e.event === "merge-remote-state", 15_000, "our state");
    assert.deepEqual([merged.data, merged.join], ["shoal-user-state", true]);
  });

  await t.test("a reliable user message over TCP reaches Go's delegate", async () => {
    await exchange(
      go.port,
      encodeStreamMessage(encodeUserStreamMessage(ascii("over tcp")), streamOpts),
      false,
    );
    await go.waitForEvent((e) => e.event === "message" && e.data === "over tcp", 15_000, "tcp message");
  });

  await t.test("a plaintext stream is refused with an encrypted errResp", async () => {
    const plainPing = encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: "go-live" } });
    const reply = await exchange(go.port, plainPing, true);
    const err = decodeMessage(decodeStreamMessage(reply, decodeOpts));
    assert.equal(err.type, MessageType.Err);
    assert.match(
      (err.body as { error: string }).error,
      /encryption is configured but remote state is not encrypted/i,
    );
  });

  await t.test("ping over UDP (compressed, CRC, encrypted) is acked to our source address", async () => {
    const ping = encodeMessage({
      type: MessageType.Ping,
      body: {
        seqNo: 4242,
        node: "go-live",
        sourceAddr: loopback,
        sourcePort: udpPort,
        sourceNode: "shoal-probe",
      },
    });
    const acked = receiveLeaf(udp, (m) => m.type === MessageType.AckResp && m.body.seqNo === 4242);
    const packet = encodePacket(ping, { compress: true, crc: true, key, encryptionVersion: 1, label: "" });
    udp.send(packet, go.port, "127.0.0.1");
    await acked;
  });

  await t.test("a best-effort user message over UDP reaches Go's delegate", async () => {
    const packet = encodePacket(encodeMessage({ type: MessageType.User, body: ascii("over udp") }), {
      compress: false,
      crc: true,
      key,
      encryptionVersion: 0,
      label: "",
    });
    udp.send(packet, go.port, "127.0.0.1");
    await go.waitForEvent((e) => e.event === "message" && e.data === "over udp", 15_000, "udp message");
  });
});
