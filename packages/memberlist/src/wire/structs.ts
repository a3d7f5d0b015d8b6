/**
 * The memberlist structs (memberlist-wire.md §3.4): Go field names, kinds, `omitempty`, in Go
 * declaration order (which matters only for struct-as-array input).
 */

import { emptyBytes } from "./bytes.ts";
import type {
  AckResp,
  Alive,
  Compress,
  Dead,
  ErrResp,
  IndirectPingReq,
  NackResp,
  Ping,
  PushNodeState,
  PushPullHeader,
  Suspect,
  UserMsgHeader,
} from "./messages.ts";
import { defineStruct } from "./schema.ts";

const noBytes = (): Uint8Array => emptyBytes;

/** Schema of `ping` (type 0): the probe. */
export const pingSchema = defineStruct<Ping>(
  "ping",
  [
    { go: "SeqNo", prop: "seqNo", kind: "u32" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "SourceAddr", prop: "sourceAddr", kind: "bytes", omitEmpty: true },
    { go: "SourcePort", prop: "sourcePort", kind: "u16", omitEmpty: true },
    { go: "SourceNode", prop: "sourceNode", kind: "string", omitEmpty: true },
  ],
  () => ({ seqNo: 0, node: "", sourceAddr: noBytes(), sourcePort: 0, sourceNode: "" }),
);

/** Schema of `indirectPingReq` (type 1): ask a relay to probe a target. */
export const indirectPingSchema = defineStruct<IndirectPingReq>(
  "indirectPingReq",
  [
    { go: "SeqNo", prop: "seqNo", kind: "u32" },
    { go: "Target", prop: "target", kind: "bytes" },
    { go: "Port", prop: "port", kind: "u16" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "Nack", prop: "nack", kind: "bool" },
    { go: "SourceAddr", prop: "sourceAddr", kind: "bytes", omitEmpty: true },
    { go: "SourcePort", prop: "sourcePort", kind: "u16", omitEmpty: true },
    { go: "SourceNode", prop: "sourceNode", kind: "string", omitEmpty: true },
  ],
  () => ({
    seqNo: 0,
    target: noBytes(),
    port: 0,
    node: "",
    nack: false,
    sourceAddr: noBytes(),
    sourcePort: 0,
    sourceNode: "",
  }),
);

/** Schema of `ackResp` (type 2). */
export const ackRespSchema = defineStruct<AckResp>(
  "ackResp",
  [
    { go: "SeqNo", prop: "seqNo", kind: "u32" },
    { go: "Payload", prop: "payload", kind: "nullableBytes" },
  ],
  () => ({ seqNo: 0, payload: null }),
);

/** Schema of `nackResp` (type 11). */
export const nackRespSchema = defineStruct<NackResp>(
  "nackResp",
  [{ go: "SeqNo", prop: "seqNo", kind: "u32" }],
  () => ({ seqNo: 0 }),
);

/** Schema of `errResp` (type 13): a stream error reply. */
export const errRespSchema = defineStruct<ErrResp>(
  "errResp",
  [{ go: "Error", prop: "error", kind: "string" }],
  () => ({ error: "" }),
);

/** Schema of `suspect` (type 3). */
export const suspectSchema = defineStruct<Suspect>(
  "suspect",
  [
    { go: "Incarnation", prop: "incarnation", kind: "u32" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "From", prop: "from", kind: "string" },
  ],
  () => ({ incarnation: 0, node: "", from: "" }),
);

/** Schema of `alive` (type 4). */
export const aliveSchema = defineStruct<Alive>(
  "alive",
  [
    { go: "Incarnation", prop: "incarnation", kind: "u32" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "Addr", prop: "addr", kind: "bytes" },
    { go: "Port", prop: "port", kind: "u16" },
    { go: "Meta", prop: "meta", kind: "bytes" },
    { go: "Vsn", prop: "vsn", kind: "bytes" },
  ],
  () => ({ incarnation: 0, node: "", addr: noBytes(), port: 0, meta: noBytes(), vsn: noBytes() }),
);

/** Schema of `dead` (type 5); `From == Node` is a leave. */
export const deadSchema = defineStruct<Dead>(
  "dead",
  [
    { go: "Incarnation", prop: "incarnation", kind: "u32" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "From", prop: "from", kind: "string" },
  ],
  () => ({ incarnation: 0, node: "", from: "" }),
);

/** Schema of `pushPullHeader`: the start of a push/pull (type 6). */
export const pushPullHeaderSchema = defineStruct<PushPullHeader>(
  "pushPullHeader",
  [
    { go: "Nodes", prop: "nodes", kind: "int" },
    { go: "UserStateLen", prop: "userStateLen", kind: "int" },
    { go: "Join", prop: "join", kind: "bool" },
  ],
  () => ({ nodes: 0, userStateLen: 0, join: false }),
);

/** Schema of `userMsgHeader`: the start of a stream user message (type 8). */
export const userMsgHeaderSchema = defineStruct<UserMsgHeader>(
  "userMsgHeader",
  [{ go: "UserMsgLen", prop: "userMsgLen", kind: "int" }],
  () => ({ userMsgLen: 0 }),
);

/** Schema of `pushNodeState`: one node in a push/pull. */
export const pushNodeStateSchema = defineStruct<PushNodeState>(
  "pushNodeState",
  [
    { go: "Name", prop: "name", kind: "string" },
    { go: "Addr", prop: "addr", kind: "bytes" },
    { go: "Port", prop: "port", kind: "u16" },
    { go: "Meta", prop: "meta", kind: "bytes" },
    { go: "Incarnation", prop: "incarnation", kind: "u32" },
    // NodeStateType is a Go int; any value decodes, the engine decides what unknown states mean.
    { go: "State", prop: "state", kind: "int" },
    { go: "Vsn", prop: "vsn", kind: "bytes" },
  ],
  () => ({ name: "", addr: noBytes(), port: 0, meta: noBytes(), incarnation: 0, state: 0, vsn: noBytes() }),
);

/** Schema of `compress` (type 9). */
export const compressSchema = defineStruct<Compress>(
  "compress",
  [
    { go: "Algo", prop: "algo", kind: "u8" },
    { go: "Buf", prop: "buf", kind: "bytes" },
  ],
  () => ({ algo: 0, buf: noBytes() }),
);
