/**
 * Chromium over HTTPS + HTTP/2: ten EventSource streams (more than the six HTTP/1.1 connections a
 * browser allows per origin) and publishes by fetch, all on one HTTP/2 connection. Skipped when no
 * Chromium is found. The certificate is made here with `openssl`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createBroker } from "../src/broker.ts";
import { waitFor } from "./helpers.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);

interface PageGlobals {
  got: Record<string, string[]>;
  EventSource: new (url: string) => { onmessage: ((e: { data: string }) => void) | null };
  fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ): Promise<{ status: number }>;
  performance: { getEntriesByType(t: string): { name: string; nextHopProtocol: string }[] };
}

test("Chromium: 10 EventSource streams and their publishes over one HTTPS HTTP/2 connection", {
  skip: CHROMIUM === undefined,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-h2b-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "k.pem"),
      "-out",
      join(dir, "c.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  const broker = createBroker({ heartbeatMs: 0 });
  const server = createSecureServer(
    { key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")), allowHTTP1: true },
    (req, res) => {
      if (broker.handle(req as unknown as IncomingMessage, res as unknown as ServerResponse)) return;
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>app</title>");
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM!,
    args: ["--no-sandbox"],
    headless: true,
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${origin}/app`);
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      w.got = {};
      for (let i = 0; i < 10; i++) {
        const ch = `c${i}`;
        w.got[ch] = [];
        new w.EventSource(`/channel/${ch}`).onmessage = (e) => w.got[ch]!.push(e.data);
      }
    });
    await waitFor(() => broker.hub.connectionCount === 10, "10 browser streams open at once", 20_000);
    const statuses = await page.evaluate(async () => {
      const w = globalThis as unknown as PageGlobals;
      const out: number[] = [];
      for (let i = 0; i < 10; i++)
        out.push(
          (
            await w.fetch(`/channel/c${i}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ data: `hello ${i}` }),
            })
          ).status,
        );
      return out;
    });
    assert.deepEqual(statuses, Array(10).fill(200));
    await page.waitForFunction(() => {
      const w = globalThis as unknown as PageGlobals;
      return Object.entries(w.got).every(
        ([ch, got]) => got.length === 1 && got[0] === `hello ${ch.slice(1)}`,
      );
    });
    // The page and fetches were served over HTTP/2 (EventSource requests are not in resource timing).
    const protocols = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).performance
        .getEntriesByType("resource")
        .map((e) => e.nextHopProtocol),
    );
    assert.ok(
      protocols.length >= 1 && protocols.every((p) => p === "h2"),
      `protocols: ${protocols.join(",")}`,
    );
  } finally {
    await browser.close();
    await broker.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
