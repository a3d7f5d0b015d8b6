/**
 * A real browser (Chromium through playwright-core, when installed): cross-origin EventSource
 * with credentials, and the browser's own reconnect with Last-Event-ID after the broker ends the
 * stream. Skipped when no Chromium is found.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { startNode, waitFor } from "./helpers.ts";

/** What the test uses of the page's globals (this package's lib has no DOM types). */
interface PageGlobals {
  got: string[];
  EventSource: new (
    url: string,
    init: { withCredentials: boolean },
  ) => { onmessage: ((e: { data: string }) => void) | null };
}

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);

test("browser EventSource: CORS with credentials, automatic resume without loss or duplicates", {
  skip: CHROMIUM === undefined,
}, async () => {
  const { chromium } = await import("playwright-core");
  const app = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>app</title>");
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  const appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const node = await startNode({
    cors: { enabled: true, origins: [appOrigin] },
    retryMs: 200,
    retryJitter: 0,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM!,
    args: ["--no-sandbox"],
    headless: true,
  });
  try {
    const page = await browser.newPage();
    await page.goto(appOrigin);
    await page.evaluate((url) => {
      const w = globalThis as unknown as PageGlobals;
      w.got = [];
      const es = new w.EventSource(url, { withCredentials: true });
      es.onmessage = (e) => w.got.push(e.data);
    }, `${node.base}/channel/web`);
    await waitFor(() => node.broker.hub.connectionCount === 1, "browser connected");
    for (const d of ["1", "2", "3"]) node.broker.publish({ channel: "web", data: d });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).got.length === 3);

    // End the stream (as on shutdown) and publish while the browser is away.
    node.broker.hub.closeAll(200);
    node.broker.publish({ channel: "web", data: "4" });
    node.broker.publish({ channel: "web", data: "5" });
    await waitFor(() => node.broker.hub.connectionCount === 1, "browser reconnected", 10_000);
    node.broker.publish({ channel: "web", data: "6" });
    // "6" is the last event: once the browser has it, any duplicate of an earlier one (events are
    // delivered in order) would be there too.
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).got.includes("6"));
    const got = await page.evaluate(() => (globalThis as unknown as PageGlobals).got);
    assert.deepEqual(got, ["1", "2", "3", "4", "5", "6"]);
    assert.equal(node.broker.hub.counters.replays, 1, "the browser came back with Last-Event-ID");
  } finally {
    await browser.close();
    await node.stop();
    await new Promise<void>((r) => app.close(() => r()));
  }
});
