/**
 * The transports: the interface the engine talks to, the real UDP+TCP one, the in-memory one for
 * tests, and the framed reader used on streams.
 */

export { isPrivateIPv4, pickAdvertiseHost, unmapIPv4 } from "./addresses.ts";
export type { TransportLogger } from "./logger.ts";
export { MemoryStream } from "./memory-stream.ts";
export {
  type MemoryEndpoint,
  MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  MemoryTransport,
} from "./memory-transport.ts";
export { NetTransport, type NetTransportOptions } from "./net-transport.ts";
export { READ_HIGH_WATER, SocketStream } from "./socket-stream.ts";
export { type FrameLength, type ReadDeadline, StreamReader } from "./stream-reader.ts";
export type { Address, Packet, Stream, Transport } from "./transport.ts";
