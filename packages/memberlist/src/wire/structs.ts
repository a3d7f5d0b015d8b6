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

export const ackRespSchema = defineStruct<AckResp>(
  "ackResp",
  [
    { go: "SeqNo", prop: "seqNo", kind: "u32" },
    { go: "Payload", prop: "payload", kind: "nullableBytes" },
  ],
  () => ({ seqNo: 0, payload: null }),
);

export const nackRespSchema = defineStruct<NackResp>(
  "nackResp",
  [{ go: "SeqNo", prop: "seqNo", kind: "u32" }],
  () => ({ seqNo: 0 }),
);

export const errRespSchema = defineStruct<ErrResp>(
  "errResp",
  [{ go: "Error", prop: "error", kind: "string" }],
  () => ({ error: "" }),
);

export const suspectSchema = defineStruct<Suspect>(
  "suspect",
  [
    { go: "Incarnation", prop: "incarnation", kind: "u32" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "From", prop: "from", kind: "string" },
  ],
  () => ({ incarnation: 0, node: "", from: "" }),
);

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

export const deadSchema = defineStruct<Dead>(
  "dead",
  [
    { go: "Incarnation", prop: "incarnation", kind: "u32" },
    { go: "Node", prop: "node", kind: "string" },
    { go: "From", prop: "from", kind: "string" },
  ],
  () => ({ incarnation: 0, node: "", from: "" }),
);

export const pushPullHeaderSchema = defineStruct<PushPullHeader>(
  "pushPullHeader",
  [
    { go: "Nodes", prop: "nodes", kind: "int" },
    { go: "UserStateLen", prop: "userStateLen", kind: "int" },
    { go: "Join", prop: "join", kind: "bool" },
  ],
  () => ({ nodes: 0, userStateLen: 0, join: false }),
);

export const userMsgHeaderSchema = defineStruct<UserMsgHeader>(
  "userMsgHeader",
  [{ go: "UserMsgLen", prop: "userMsgLen", kind: "int" }],
  () => ({ userMsgLen: 0 }),
);

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

export const compressSchema = defineStruct<Compress>(
  "compress",
  [
    { go: "Algo", prop: "algo", kind: "u8" },
    { go: "Buf", prop: "buf", kind: "bytes" },
  ],
  () => ({ algo: 0, buf: noBytes() }),
);
