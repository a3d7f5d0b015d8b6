/**
 * Message types and bodies of the memberlist wire protocol (see memberlist-wire.md §1, §3.4).
 * Field names are camelCase here; the msgpack codec maps them to Go's field names.
 * Byte fields (addresses, metadata, versions, payloads) are always Uint8Array, never strings.
 */

/** The one-byte message type that starts every message. Values are part of the protocol. */
export const MessageType = {
  Ping: 0,
  IndirectPing: 1,
  AckResp: 2,
  Suspect: 3,
  Alive: 4,
  Dead: 5,
  PushPull: 6,
  Compound: 7,
  User: 8,
  Compress: 9,
  Encrypt: 10,
  NackResp: 11,
  HasCrc: 12,
  Err: 13,
  HasLabel: 244,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Node states as Go's NodeStateType. */
export const NodeState = { Alive: 0, Suspect: 1, Dead: 2, Left: 3 } as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

export interface Ping {
  seqNo: number;
  /** The intended target's name; "" for "whoever you are". */
  node: string;
  sourceAddr?: Uint8Array;
  sourcePort?: number;
  sourceNode?: string;
}

export interface IndirectPingReq {
  seqNo: number;
  target: Uint8Array;
  port: number;
  node: string;
  nack: boolean;
  sourceAddr?: Uint8Array;
  sourcePort?: number;
  sourceNode?: string;
}

export interface AckResp {
  seqNo: number;
  payload: Uint8Array | null;
}

export interface NackResp {
  seqNo: number;
}

export interface ErrResp {
  error: string;
}

export interface Suspect {
  incarnation: number;
  node: string;
  from: string;
}

export interface Alive {
  incarnation: number;
  node: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  /** [PMin, PMax, PCur, DMin, DMax, DCur]; always 6 bytes when we send. */
  vsn: Uint8Array;
}

export interface Dead {
  incarnation: number;
  node: string;
  /** Who declared it; `from === node` means a graceful leave. */
  from: string;
}

export interface PushPullHeader {
  nodes: number;
  userStateLen: number;
  join: boolean;
}

export interface PushNodeState {
  name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  incarnation: number;
  state: NodeState;
  vsn: Uint8Array;
}

export interface UserMsgHeader {
  userMsgLen: number;
}

export interface Compress {
  algo: number;
  buf: Uint8Array;
}

/** A decoded push/pull exchange: header, node states and the delegate's raw user state. */
export interface PushPull {
  join: boolean;
  nodes: PushNodeState[];
  userState: Uint8Array | null;
}

/** The messages that travel as one `[type][msgpack body]` unit (plus the raw UDP user message). */
export type Message =
  | { type: typeof MessageType.Ping; body: Ping }
  | { type: typeof MessageType.IndirectPing; body: IndirectPingReq }
  | { type: typeof MessageType.AckResp; body: AckResp }
  | { type: typeof MessageType.NackResp; body: NackResp }
  | { type: typeof MessageType.Err; body: ErrResp }
  | { type: typeof MessageType.Suspect; body: Suspect }
  | { type: typeof MessageType.Alive; body: Alive }
  | { type: typeof MessageType.Dead; body: Dead }
  | { type: typeof MessageType.User; body: Uint8Array };
