/** Event kind numbers mixed into the trace hash. Part of the determinism contract: never renumber. */
export const EventKind = {
  Timer: 1,
  Datagram: 2,
  StreamChunk: 3,
  StreamFin: 4,
  DialSyn: 5,
  DialConnected: 6,
  DialRefused: 7,
  DialTimeout: 8,
  Accept: 9,
  StreamReset: 10,
  Control: 11,
  StallStart: 12,
  StallEnd: 13,
} as const;
