/** The configured logger reaches every part of a Memberlist, its transport included (issue 12). */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, test } from "node:test";
import type { Logger, Memberlist } from "../src/index.ts";
import { localMember, waitUntil } from "./helpers/cluster.ts";

const live: Memberlist[] = [];
after(async () => {
  await Promise.all(live.map((m) => m.shutdown()));
});

test("the transport writes through the configured logger", async () => {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
  const m = await localMember("logged", { logger });
  live.push(m);
  // An empty datagram is dropped by the transport itself, before the engine sees it.
  const udp = createSocket("udp4");
  await new Promise<void>((resolve, reject) =>
    udp.send(new Uint8Array(0), m.localNode.port, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
  );
  udp.close();
  await waitUntil(
    () => lines.some((l) => l.includes("empty UDP packet")),
    "the transport's log line",
    10_000,
  );
  assert.ok(lines.some((l) => l.includes("127.0.0.1")));
});
