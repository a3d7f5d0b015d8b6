/** The flags of `shoal start`: sse-cluster's (with their environment variables) and Shoal's. */

/** One flag: its environment variable, type, default and help line. */
export interface FlagSpec {
  env: string;
  type: "string" | "boolean";
  default: string;
  help: string;
}

/**
 * Every flag of `shoal start`: name -> env var, type, default, help. The same names are the keys
 * of the `--config` file (all but `config` itself).
 */
export const FLAGS: Record<string, FlagSpec> = {
  config: {
    env: "SHOAL_CONFIG",
    type: "string",
    default: "",
    help: "YAML or JSON file of settings with these flags' names (flags > env > file > defaults).",
  },
  "gossip.port": {
    env: "GOSSIP_PORT",
    type: "string",
    default: "42000",
    help: "Gossip (memberlist) port, UDP and TCP.",
  },
  "gossip.hosts": {
    env: "GOSSIP_HOSTS",
    type: "string",
    default: "",
    help: "Comma-separated host:port of existing members to join.",
  },
  "gossip.secretKey": {
    env: "GOSSIP_SECRET_KEY",
    type: "string",
    default: "",
    help: "Base64 AES key (16, 24 or 32 bytes): encrypts gossip and authenticates/encrypts replication.",
  },
  "gossip.profile": {
    env: "SHOAL_GOSSIP_PROFILE",
    type: "string",
    default: "lan",
    help: "Gossip timing: lan (memberlist defaults) or local (fast, for one host).",
  },
  "gossip.maxInboundStreams": {
    env: "SHOAL_GOSSIP_MAX_INBOUND_STREAMS",
    type: "string",
    default: "128",
    help: "Gossip TCP streams served at once (Go memberlist's cap on concurrent push/pulls); more are closed on arrival and counted.",
  },
  "gossip.maxInboundStreamBytes": {
    env: "SHOAL_GOSSIP_MAX_INBOUND_STREAM_BYTES",
    type: "string",
    default: "33554432",
    help: "Bytes that inbound gossip stream messages may hold together, unfinished or being handled (one 20 MiB push/pull fits beside the ordinary ones); a stream past it is closed and counted.",
  },
  "gossip.maxDecompressedPacketBytes": {
    env: "SHOAL_GOSSIP_MAX_DECOMPRESSED_PACKET_BYTES",
    type: "string",
    default: "65536",
    help: "Most bytes a gossip datagram may decompress to (no datagram holds more than 64 KiB); past it the datagram is dropped and counted.",
  },
  "gossip.junkWarningsPerMinute": {
    env: "SHOAL_GOSSIP_JUNK_WARNINGS_PER_MINUTE",
    type: "string",
    default: "10",
    help: "Log lines per minute about dropped gossip input (junk datagrams, refused streams); the rest are counted, not logged.",
  },
  "http.server.port": {
    env: "HTTP_SERVER_PORT",
    type: "string",
    default: "8080",
    help: "HTTP port (API, streams, replication).",
  },
  "http.tls.cert": {
    env: "SHOAL_TLS_CERT",
    type: "string",
    default: "",
    help: "PEM certificate (chain) file: with --http.tls.key, serve HTTPS with HTTP/2 (HTTP/1.1 on the same port). Every node of a cluster must use TLS or none.",
  },
  "http.tls.key": {
    env: "SHOAL_TLS_KEY",
    type: "string",
    default: "",
    help: "PEM private key file of --http.tls.cert.",
  },
  "http.server.cors.enabled": {
    env: "HTTP_SERVER_ENABLE_CORS",
    type: "boolean",
    default: "false",
    help: "Send CORS headers (with --http.server.cors.origins: only to those, with credentials).",
  },
  "http.server.cors.origins": {
    env: "SHOAL_CORS_ORIGINS",
    type: "string",
    default: "",
    help: "Comma-separated allowed origins (exact). Empty with CORS on: any origin, no credentials.",
  },
  "http.client.timeout": {
    env: "HTTP_CLIENT_TIMEOUT",
    type: "string",
    default: "5s",
    help: "Timeout of node-to-node connections (e.g. 500ms, 5s, or ms as a number).",
  },
  "replication.ack": {
    env: "SHOAL_REPLICATION_ACK",
    type: "string",
    default: "one",
    help: "When a publish gets its 2xx: local (this node holds it), one (and another live member), all (every live member).",
  },
  "replication.ackTimeout": {
    env: "SHOAL_REPLICATION_ACK_TIMEOUT",
    type: "string",
    default: "2s",
    help: "How long a publish waits for its ack mode before a 503 (the event may still arrive).",
  },
  "replication.maxHandshakes": {
    env: "SHOAL_REPLICATION_MAX_HANDSHAKES",
    type: "string",
    default: "32",
    help: "Inbound replication links still in their opening exchange at once (a whole cluster opening at the same time fits); past it the oldest stranger is dropped, a member never is.",
  },
  "replication.maxOrigins": {
    env: "SHOAL_REPLICATION_MAX_ORIGINS",
    type: "string",
    default: "1000",
    help: "Broker runs (origins) kept in the replication de-duplication map; past it, departed runs whose events every history has dropped are forgotten (a resume naming one gets reset).",
  },
  "replication.handshakeTimeout": {
    env: "SHOAL_REPLICATION_HANDSHAKE_TIMEOUT",
    type: "string",
    default: "3s",
    help: "Time an inbound replication link has to open and say a valid hello (a few round trips on any LAN).",
  },
  "node.name": {
    env: "SHOAL_NODE_NAME",
    type: "string",
    default: "",
    help: "Unique node name (default: host name + random suffix).",
  },
  "bind.addr": {
    env: "SHOAL_BIND_ADDR",
    type: "string",
    default: "0.0.0.0",
    help: "Address HTTP and gossip bind to.",
  },
  "advertise.addr": {
    env: "SHOAL_ADVERTISE_ADDR",
    type: "string",
    default: "",
    help: "Address peers use to reach this node (default: derived from the bind address).",
  },
  backplane: {
    env: "SHOAL_BACKPLANE",
    type: "string",
    default: "",
    help: "Event backplane, redis://host:port[/db]: events go through Redis Streams instead of the mesh (every node must use the same). Empty: the mesh.",
  },
  "backplane.timeout": {
    env: "SHOAL_BACKPLANE_TIMEOUT",
    type: "string",
    default: "2s",
    help: "Longest wait for Redis on a publish or resume before answering 503.",
  },
  "history.size": {
    env: "SHOAL_HISTORY_SIZE",
    type: "string",
    default: "1000",
    help: "Events kept per channel for resume.",
  },
  "history.age": {
    env: "SHOAL_HISTORY_AGE",
    type: "string",
    default: "5m",
    help: "Oldest event kept for resume (e.g. 30s, 5m).",
  },
  "history.bytes": {
    env: "SHOAL_HISTORY_BYTES",
    type: "string",
    default: "8388608",
    help: "Most payload bytes kept per channel for resume.",
  },
  "history.totalBytes": {
    env: "SHOAL_HISTORY_TOTAL_BYTES",
    type: "string",
    default: "auto",
    help: "Most bytes of history kept on this node, all channels together; past it the oldest events go first (resumes that needed them get a reset). auto: a quarter of the heap limit, 16..256 MiB.",
  },
  "channels.max": {
    env: "SHOAL_CHANNELS_MAX",
    type: "string",
    default: "100000",
    help: "Most channels kept; past it the least recently used channel without subscribers is forgotten (503 if all have subscribers).",
  },
  "memory.heapGrowth": {
    env: "SHOAL_HEAP_GROWTH",
    type: "string",
    default: "10",
    help: "Percent the V8 heap may grow past its live size before a full collection (sets V8's --heap-growing-percent for this process unless Node was started with it). Low keeps RSS near what the node holds when big events churn; 0: V8's own, up to 4× on machines with 8 GB or more.",
  },
  "sse.heartbeat": {
    env: "SHOAL_HEARTBEAT",
    type: "string",
    default: "15s",
    help: "Heartbeat comment interval (0 = off).",
  },
  "sse.retry": {
    env: "SHOAL_RETRY",
    type: "string",
    default: "2s",
    help: "Reconnect delay suggested to clients (jittered ±50%).",
  },
  "sse.buffer": {
    env: "SHOAL_BUFFER_BYTES",
    type: "string",
    default: "1048576",
    help: "Bytes a subscriber may lag behind before it is disconnected (it can resume).",
  },
  "sse.maxStreams": {
    env: "SHOAL_MAX_STREAMS",
    type: "string",
    default: "10000",
    help: "Most open event streams on this node (503 past it); lowered if need be to keep 256 file descriptors free for /healthz, /metrics and replication.",
  },
  "sse.maxStreamsPerAddress": {
    env: "SHOAL_MAX_STREAMS_PER_ADDRESS",
    type: "string",
    default: "256",
    help: "Most open event streams from one client address (503 past it).",
  },
  "http.maxConnections": {
    env: "SHOAL_MAX_CONNECTIONS",
    type: "string",
    default: "auto",
    help: "Most connections to the HTTP port, idle ones included (503 and closed past it; one that sends no request within 30 s is closed). auto: --sse.maxStreams + 128, so /healthz, /metrics, publishes and replication fit when streams are full.",
  },
  "http.maxConnectionsPerAddress": {
    env: "SHOAL_MAX_CONNECTIONS_PER_ADDRESS",
    type: "string",
    default: "auto",
    help: "Most connections to the HTTP port from one client address. auto: --sse.maxStreamsPerAddress + 64.",
  },
  "http.firstRequestTimeout": {
    env: "SHOAL_FIRST_REQUEST_TIMEOUT",
    type: "string",
    default: "30s",
    help: "A connection that sends no request within this long is closed (node:http's own timeouts start only with the first byte); 0: never.",
  },
  "sse.ready": {
    env: "SHOAL_READY_EVENT",
    type: "string",
    default: "true",
    help: "Open each stream with a `shoal-ready` event whose id is the starting cursor (true/false).",
  },
  "http.body.limit": {
    env: "SHOAL_BODY_LIMIT",
    type: "string",
    default: "1048576",
    help: "Largest publish body, bytes.",
  },
  "http.body.maxDepth": {
    env: "SHOAL_BODY_MAX_DEPTH",
    type: "string",
    default: "64",
    help: "Deepest JSON nesting of a publish body (deeper: 400).",
  },
  "auth.jwt.key": {
    env: "SHOAL_JWT_KEY",
    type: "string",
    default: "",
    help: "Turns JWT auth on: HMAC secret, or a path to a PEM public key (prefix with @).",
  },
  "auth.anonymousSubscribe": {
    env: "SHOAL_AUTH_ANONYMOUS_SUBSCRIBE",
    type: "boolean",
    default: "false",
    help: "With auth on, let subscribers in without a token.",
  },
  "auth.protectStatus": {
    env: "SHOAL_AUTH_PROTECT_STATUS",
    type: "boolean",
    default: "true",
    help: "With auth on, /status, /metrics and the dashboard's data need a token whose shoal.admin claim is true (--auth.protectStatus=false opens them).",
  },
  "auth.allowNoExp": {
    env: "SHOAL_AUTH_ALLOW_NO_EXP",
    type: "boolean",
    default: "false",
    help: "With auth on, accept tokens without an exp claim (by default they are refused).",
  },
  dashboard: {
    env: "SHOAL_DASHBOARD",
    type: "boolean",
    default: "true",
    help: "Serve the live dashboard at / (its data at /dashboard/events, protected like /status).",
  },
  "shutdown.timeout": {
    env: "SHOAL_SHUTDOWN_TIMEOUT",
    type: "string",
    default: "10s",
    help: "Bound on the graceful stop.",
  },
  "log.level": {
    env: "SHOAL_LOG_LEVEL",
    type: "string",
    default: "info",
    help: "debug, info, warn, error or silent.",
  },
  "log.format": {
    env: "SHOAL_LOG_FORMAT",
    type: "string",
    default: "",
    help: "text or json (default: text when stderr is a terminal, json otherwise).",
  },
};

/** The `--help` text. */
export function helpText(): string {
  const lines = [
    "Usage: shoal start [flags]",
    "       shoal --version",
    "       shoal demo [--nodes N]   (a cluster on this machine with live dashboards: shoal demo --help)",
    "       shoal keygen             (prints a new --gossip.secretKey)",
    "",
    "Starts a clustered Server-Sent Events broker node. Every flag can also be set by its environment",
    "variable or in the --config file (same names); a flag beats its variable, which beats the file.",
    "",
    "Routes: GET /channel/{channel}[/client/{client}][?channel=more]  (subscribe; Last-Event-ID resumes)",
    "        POST /channel, /channel/{channel}, /channel/{channel}/client/{client}  JSON {id?, event?, data, retry?}",
    "        GET /status, /healthz, /metrics, / (dashboard)",
    "",
    "Flags:",
  ];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const def = spec.default === "" ? "" : ` (default ${spec.default})`;
    lines.push(`  --${name}${spec.type === "string" ? " <value>" : ""}`);
    lines.push(`      ${spec.help}${def}  [env ${spec.env}]`);
  }
  lines.push("  -h, --help", "      Show this help.", "  --version", "      Print the version.", "");
  return lines.join("\n");
}
