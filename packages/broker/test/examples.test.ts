/** The runnable examples run: memberlist's in TypeScript and JavaScript, the broker embedded in an app. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { waitFor } from "./helpers.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const procs: ChildProcess[] = [];
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
});

function start(script: string, args: string[] = []): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  procs.push(proc);
  let out = "";
  proc.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (out += c));
  return { proc, out: () => out };
}

function exited(proc: ChildProcess): Promise<number | null> {
  return proc.exitCode !== null
    ? Promise.resolve(proc.exitCode)
    : new Promise((r) => proc.once("exit", (code) => r(code)));
}

for (const file of ["three-nodes.ts", "three-nodes.js"]) {
  test(`packages/memberlist/examples/${file}: three members, a message, a graceful leave on Ctrl-C`, async () => {
    const ex = start(`packages/memberlist/examples/${file}`);
    await waitFor(() => /Press Ctrl-C/.test(ex.out()) || ex.proc.exitCode !== null, "the cluster", 30_000);
    await waitFor(() => /message: hello from beta/.test(ex.out()), "the message", 10_000);
    assert.match(ex.out(), /gamma sees 3 members/);
    ex.proc.kill("SIGINT");
    assert.equal(await exited(ex.proc), 0, ex.out());
  });
}

test("packages/broker/examples/embed.mjs: the app's routes, the broker's under /events, one registry", async () => {
  const ex = start("packages/broker/examples/embed.mjs", ["0"]);
  await waitFor(() => /listening on/.test(ex.out()) || ex.proc.exitCode !== null, "listening", 30_000);
  const base = /listening on (\S+)/.exec(ex.out())![1]!;
  assert.match(await (await fetch(`${base}/`)).text(), /the rest of the app/);
  const pub = await fetch(`${base}/events/channel/news`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: "hi" }),
  });
  assert.equal(pub.status, 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^app_page_views_total 1$/m);
  assert.match(metrics, /^shoal_events_published_total 1$/m);
  ex.proc.kill("SIGINT");
  assert.equal(await exited(ex.proc), 0, ex.out());
});
