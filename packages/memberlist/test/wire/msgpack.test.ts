/** The msgpack codec: Go's exact output forms and its lenient decoding (memberlist-wire.md §3). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError, EncodeError } from "../../src/errors.ts";
import {
  aliveSchema,
  ByteWriter,
  decodeMessage,
  decodeStruct,
  encodeBody,
  encodeMessage,
  MessageType,
  MsgpackReader,
  maxMsgpackDepth,
  pingSchema,
  pushNodeStateSchema,
  pushPullHeaderSchema,
  writeInt,
  writeRawHeader,
  writeString,
  writeUint,
} from "../../src/wire/index.ts";
import { ascii, hex, toHex } from "./helpers.ts";

function written(fn: (w: ByteWriter) => void): string {
  const w = new ByteWriter(4);
  fn(w);
  return toHex(w.finish());
}

const decodeHeader = (h: string) => decodeStruct(new MsgpackReader(hex(h)), pushPullHeaderSchema);
const decodeNode = (h: string) => decodeStruct(new MsgpackReader(hex(h)), pushNodeStateSchema);

describe("msgpack writing", () => {
  it("uses the smallest unsigned forms", () => {
    const cases: Array<[number, string]> = [
      [0, "00"],
      [127, "7f"],
      [128, "cc80"],
      [255, "ccff"],
      [256, "cd0100"],
      [65535, "cdffff"],
      [65536, "ce00010000"],
      [0xffffffff, "ceffffffff"],
      [2 ** 32, "cf0000000100000000"],
      [Number.MAX_SAFE_INTEGER, "cf001fffffffffffff"],
    ];
    for (const [v, want] of cases)
      assert.equal(
        written((w) => writeUint(w, v)),
        want,
        `uint ${v}`,
      );
  });

  it("writes Go ints ≥ 0 unsigned (old codec) and negatives signed", () => {
    const cases: Array<[number, string]> = [
      [200, "ccc8"],
      [70000, "ce00011170"],
      [-1, "ff"],
      [-32, "e0"],
      [-33, "d0df"],
      [-129, "d1ff7f"],
      [-40000, "d2ffff63c0"],
      [-(2 ** 40), "d3ffffff0000000000"],
    ];
    for (const [v, want] of cases)
      assert.equal(
        written((w) => writeInt(w, v)),
        want,
        `int ${v}`,
      );
  });

  it("writes raw headers as fixstr, 0xda, 0xdb — never str8 or bin", () => {
    assert.equal(
      written((w) => writeRawHeader(w, 31)),
      "bf",
    );
    assert.equal(
      written((w) => writeRawHeader(w, 32)),
      "da0020",
    );
    assert.equal(
      written((w) => writeRawHeader(w, 255)),
      "da00ff",
    );
    assert.equal(
      written((w) => writeRawHeader(w, 65535)),
      "daffff",
    );
    assert.equal(
      written((w) => writeRawHeader(w, 65536)),
      "db00010000",
    );
  });

  it("writes non-ASCII strings as UTF-8", () => {
    assert.equal(
      written((w) => writeString(w, "é")),
      "a2c3a9",
    );
    const long = "ü".repeat(20);
    assert.equal(
      written((w) => writeString(w, long)),
      `da0028${"c3bc".repeat(20)}`,
    );
  });

  it("writes empty bytes as nil and empty strings as a0", () => {
    const b = encodeBody(MessageType.Alive, {
      incarnation: 0,
      node: "",
      addr: new Uint8Array(0),
      port: 0,
      meta: new Uint8Array(0),
      vsn: new Uint8Array(0),
    });
    assert.equal(
      toHex(b),
      "86a441646472c0ab496e6361726e6174696f6e00a44d657461c0a44e6f6465a0a4506f727400a356736ec0",
    );
  });

  it("rejects values out of their Go type's range", () => {
    const bad = [
      { type: MessageType.Ping, body: { seqNo: 2 ** 32, node: "" } },
      { type: MessageType.Ping, body: { seqNo: -1, node: "" } },
      { type: MessageType.Ping, body: { seqNo: 1.5, node: "" } },
      { type: MessageType.Ping, body: { seqNo: 1, node: "", sourcePort: 65536 } },
    ] as const;
    for (const m of bad) assert.throws(() => encodeMessage(m), EncodeError);
  });
});

describe("byte outputs", () => {
  it("are plain Uint8Arrays (never Buffers), small or pooled, and decoded bytes are copies", () => {
    const big = encodeMessage({ type: MessageType.User, body: new Uint8Array(300).fill(1) });
    const small = encodeMessage({ type: MessageType.NackResp, body: { seqNo: 1 } });
    const ping = encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: "x".repeat(80) } });
    for (const b of [big, small, ping]) assert.equal(Object.getPrototypeOf(b), Uint8Array.prototype);
    const input = Buffer.from(
      encodeMessage({ type: MessageType.AckResp, body: { seqNo: 1, payload: ascii("abc") } }),
    );
    const m = decodeMessage(input);
    assert.ok(m.type === MessageType.AckResp && m.body.payload);
    const payload = m.body.payload!;
    assert.equal(Object.getPrototypeOf(payload), Uint8Array.prototype);
    input.fill(0);
    assert.deepEqual(payload, ascii("abc"));
  });

  it("a writer grows from any starting capacity", () => {
    const w = new ByteWriter(0);
    for (let i = 0; i < 1000; i++) w.u8(i & 0xff);
    assert.equal(w.finish().length, 1000);
    assert.equal(w.finish()[999], 999 & 0xff);
  });
});

describe("msgpack lenient decoding (what Go accepts)", () => {
  it("accepts every integer width and sign in range", () => {
    for (const n of [
      "cc05",
      "cd0005",
      "ce00000005",
      "cf0000000000000005",
      "d005",
      "d10005",
      "d200000005",
      "d30000000000000005",
      "05",
    ]) {
      assert.equal(decodeHeader(`81a54e6f646573${n}`).nodes, 5, n);
    }
    assert.equal(decodeHeader("81a54e6f646573d0fb").nodes, -5);
    assert.equal(decodeHeader("81a54e6f646573d3fffffffffffffffb").nodes, -5);
  });

  it("range-checks 64-bit integers against 2^53", () => {
    assert.throws(() => decodeHeader("81a54e6f646573cf8000000000000000"), DecodeError);
    assert.throws(() => decodeHeader("81a54e6f646573cf0040000000000000"), DecodeError);
    assert.throws(() => decodeHeader("81a54e6f646573d38000000000000000"), DecodeError);
  });

  it("rejects out-of-range and negative values for unsigned fields, and floats", () => {
    assert.throws(() => decodeNode("81a4506f7274ce00011170"), DecodeError);
    assert.throws(() => decodeNode("81a4506f7274ff"), DecodeError);
    assert.throws(() => decodeNode("81a4506f7274cb3ff0000000000000"), DecodeError);
    assert.equal(decodeNode("81a4506f7274d1ffff".replace("d1ffff", "d20000ffff")).port, 65535);
  });

  it("accepts str8, str16, str32 and bin for strings and bytes", () => {
    for (const [h, name] of [
      ["d903616263", "abc"],
      ["da0003616263", "abc"],
      ["db00000003616263", "abc"],
      ["c403616263", "abc"],
      ["c50003616263", "abc"],
      ["c600000003616263", "abc"],
      ["c0", ""],
    ] as const) {
      const n = decodeNode(`82a44e616d65${h}a441646472${h}`);
      assert.equal(n.name, name);
      assert.deepEqual(n.addr, ascii(name));
    }
  });

  it("keeps binary str values as raw bytes (never UTF-8 decoded)", () => {
    const n = decodeNode("81a44d657461a4ff00c3e9");
    assert.deepEqual(n.meta, Uint8Array.of(0xff, 0x00, 0xc3, 0xe9));
  });

  it("accepts Vsn as raw bytes or as an array of ints", () => {
    assert.deepEqual(decodeNode("81a356736ea6010502000000").vsn, Uint8Array.of(1, 5, 2, 0, 0, 0));
    assert.deepEqual(decodeNode("81a356736e9601050200cc00d000").vsn, Uint8Array.of(1, 5, 2, 0, 0, 0));
    assert.throws(() => decodeNode("81a356736e91cd0100"), DecodeError);
    assert.throws(() => decodeNode("81a356736edd7fffffff01"), DecodeError);
  });

  it("skips unknown keys of any type, including nested containers", () => {
    const unknown = "a3466f6f82a16193010203a162c3" + "a3426172cb3ff0000000000000" + "a342617ac7020100ff";
    const n = decodeNode(`84${unknown}a44e616d65a178`);
    assert.equal(n.name, "x");
  });

  it("matches keys case-sensitively and ignores the wrong case", () => {
    assert.equal(decodeNode("81a46e616d65a178").name, "");
  });

  it("skips pairs whose key is not a string", () => {
    assert.equal(decodeNode("820102a44e616d65a178").name, "x");
  });

  it("refuses unknown values nested deeper than the limit", () => {
    const deep = `${"91".repeat(maxMsgpackDepth + 5)}00`;
    assert.throws(() => decodeNode(`81a3466f6f${deep}`), DecodeError);
    const ok = `${"91".repeat(maxMsgpackDepth - 1)}00`;
    assert.equal(decodeNode(`82a3466f6f${ok}a44e616d65a178`).name, "x");
  });

  it("accepts a struct encoded as an array in declaration order", () => {
    // pushNodeState: Name, Addr, Port, Meta, Incarnation, State, Vsn, plus one extra element.
    const n = decodeNode("98a178a40a000001cd1f0ac00701a60105020000007f");
    assert.deepEqual(n, {
      name: "x",
      addr: Uint8Array.of(10, 0, 0, 1),
      port: 7946,
      meta: new Uint8Array(0),
      incarnation: 7,
      state: 1,
      vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
    });
  });

  it("accepts booleans as fixint 0/1 and nil as false", () => {
    assert.equal(decodeHeader("81a44a6f696e01").join, true);
    assert.equal(decodeHeader("81a44a6f696e00").join, false);
    assert.equal(decodeHeader("81a44a6f696ec0").join, false);
    assert.throws(() => decodeHeader("81a44a6f696e02"), DecodeError);
  });

  it("treats nil as the zero value, and a nil struct as all zeros", () => {
    assert.deepEqual(decodeStruct(new MsgpackReader(hex("c0")), pingSchema), pingSchema.create());
    const a = decodeStruct(new MsgpackReader(hex("83a4506f7274c0a441646472c0a44e6f6465c0")), aliveSchema);
    assert.deepEqual(a, aliveSchema.create());
  });

  it("rejects truncated input and claimed lengths beyond it", () => {
    for (const h of [
      "82a44e616d65a178",
      "81a44e616d65a578",
      "81a44e616d65dbffffffff41",
      "8f",
      "df7fffffff",
    ]) {
      assert.throws(() => decodeNode(h), DecodeError, h);
    }
  });

  it("decodes ack payloads: nil → null, bytes kept", () => {
    const m = decodeMessage(hex("0282a75061796c6f6164a3010203a55365714e6f01"));
    assert.deepEqual(m, { type: MessageType.AckResp, body: { seqNo: 1, payload: Uint8Array.of(1, 2, 3) } });
  });

  it("rejects message types outside the Message union", () => {
    for (const t of ["06", "07", "09", "0a", "0c", "f4", "0e", ""]) {
      assert.throws(() => decodeMessage(hex(`${t}80`.slice(0, t === "" ? 0 : 4))), DecodeError, t);
    }
  });

  it("decodes UTF-8 names and round-trips them", () => {
    const m = {
      type: MessageType.Suspect,
      body: { incarnation: 9, node: "nœud-ü-东", from: "x".repeat(40) },
    } as const;
    assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  });
});
