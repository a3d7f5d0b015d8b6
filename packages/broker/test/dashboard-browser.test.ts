/**
 * The dashboard in a real headless browser (Debian's Chromium through playwright-core, no
 * download): a three-node demo cluster, every member alive on the page, a publish through one
 * node's form arriving in another node's subscribe panel, a killed node turning suspect then
 * dead, and coming back when restarted. Screenshots go to .tmp/screenshots/ (gitignored).
 * Skipped when no Chromium is installed.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DemoCluster } from "../src/demo/cluster.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);
const SHOTS = fileURLToPath(new URL("../../../.tmp/screenshots/", import.meta.url));
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

test("dashboard: live cluster picture, publish and subscribe across nodes, failure and return", {
  skip: CHROMIUM === undefined,
  timeout: 180_000,
}, async () => {
  const { chromium } = await import("playwright-core");
  mkdirSync(SHOTS, { recursive: true });
  const cluster = await DemoCluster.start({
    nodes: 3,
    host: "127.0.0.1",
    gossipPort: 0,
    httpPort: 0,
    profile: "local",
    logLevel: "silent",
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: FLAGS, headless: true });
  let ticker: NodeJS.Timeout | undefined;
  try {
    if (!(await cluster.waitFormed(30_000))) throw new Error("the cluster did not form");
    // Background traffic from node 2, so the events-per-second chart has something to draw.
    let tick = 0;
    ticker = setInterval(() => {
      cluster.members[1]?.node?.broker.publish({ channel: "ticks", data: String(++tick) });
    }, 100);
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const pageA = await context.newPage();
    const pageB = await context.newPage();
    const errors: string[] = [];
    for (const page of [pageA, pageB]) page.on("pageerror", (e) => errors.push(e.message));

    // Node 1's page: three members, all alive, in the picture and in the table.
    await pageA.goto(`${cluster.url(0)}/`);
    await pageA.locator("#node-name", { hasText: "node-1" }).waitFor();
    await pageA.locator('#ring g.node[data-state="alive"]').nth(2).waitFor({ timeout: 30_000 });
    assert.equal(await pageA.locator("#ring g.node").count(), 3);
    for (const name of ["node-1", "node-2", "node-3"])
      await pageA.locator(`#members tr[data-name="${name}"][data-state="alive"]`).waitFor();
    await pageA.locator("#live", { hasText: "live" }).waitFor();
    // Node 2's traffic is replicated to node 1 and counted there, per second.
    await pageA.locator("#rate-now", { hasText: /^[1-9]/ }).waitFor({ timeout: 15_000 });
    await pageA.locator('#chart rect.bar:not([height="0"])').first().waitFor();
    await pageA.locator('#links li[data-peer="node-2"]', { hasText: "connected" }).waitFor();
    // RTTs arrive with the first direct probes.
    await pageA
      .locator('#members tr[data-name="node-2"] td.rtt', { hasText: /\d ms$/ })
      .waitFor({ timeout: 30_000 });
    await pageA.screenshot({ path: `${SHOTS}dashboard-1-three-alive.png`, fullPage: true });

    // Node 2's page subscribes through its panel; node 1's page publishes through its form.
    await pageB.goto(`${cluster.url(1)}/`);
    await pageB.locator("#subscribe-channel").fill("e2e");
    await pageB.locator("#subscribe-button").click();
    await pageB.locator('#subscribe-status[data-channel="e2e"]').waitFor();
    await pageA.locator("#publish-channel").fill("e2e");
    await pageA.locator("#publish-data").fill('{"msg": "hello from node-1"}');
    await pageA.locator("#publish-button").click();
    await pageA.locator("#publish-result.ok").waitFor();
    await pageB.locator("#events li", { hasText: "hello from node-1" }).waitFor({ timeout: 15_000 });
    // Node 2's page counts its own subscriber on the channel.
    await pageB.locator('#channels tr[data-channel="e2e"]').waitFor();
    await pageB.screenshot({ path: `${SHOTS}dashboard-2-event-arrived.png`, fullPage: true });

    // Kill node 3 without a goodbye: node 1 suspects it, then declares it dead.
    await cluster.kill(2);
    await pageA
      .locator('#ring g.node[data-name="node-3"][data-state="suspect"]')
      .waitFor({ timeout: 30_000 });
    await pageA.screenshot({ path: `${SHOTS}dashboard-3-suspect.png`, fullPage: true });
    await pageA.locator('#ring g.node[data-name="node-3"][data-state="dead"]').waitFor({ timeout: 60_000 });
    await pageA.locator('#members tr[data-name="node-3"][data-state="dead"]').waitFor();
    await pageA.locator('#changes li[data-node="node-3"][data-type="suspect"]').waitFor();
    await pageA.screenshot({ path: `${SHOTS}dashboard-4-dead.png`, fullPage: true });

    // Start it again: it comes back alive on node 1's page.
    await cluster.restart(2);
    await pageA.locator('#ring g.node[data-name="node-3"][data-state="alive"]').waitFor({ timeout: 60_000 });
    await pageA.screenshot({ path: `${SHOTS}dashboard-5-back.png`, fullPage: true });

    // Dark mode follows the system setting.
    await pageA.emulateMedia({ colorScheme: "dark" });
    await pageA.screenshot({ path: `${SHOTS}dashboard-6-dark.png`, fullPage: true });
    await pageA.emulateMedia({ colorScheme: "light" });

    // A narrow screen gets the same page, stacked.
    await pageA.setViewportSize({ width: 420, height: 900 });
    await pageA.screenshot({ path: `${SHOTS}dashboard-7-narrow.png`, fullPage: true });
    if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
  } finally {
    clearInterval(ticker);
    await browser.close();
    await cluster.stop();
  }
});
