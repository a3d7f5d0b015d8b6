/**
 * `shoal demo` / `npm start`: argument parsing, free-port fallback, and the smoke test that runs
 * `npm start` exactly as a newcomer would, uses the commands it prints, and stops it with Ctrl-C.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DemoCluster } from "../src/demo/cluster.ts";
import { demoCommandReply, parseDemoArgs } from "../src/demo/command.ts";
import { readyText, shellQuote } from "../src/demo/output.ts";
import { findFreePort, isPortFree } from "../src/demo/ports.ts";
import { waitFor } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

test("demo arguments: defaults, sizes and bad values", () => {
  assert.deepEqual(parseDemoArgs([]), {
    nodes: 3,
    gossipPort: 7946,
    httpPort: 8080,
    host: "127.0.0.1",
    profile: "local",
    logLevel: "error",
  });
  const five = parseDemoArgs(["--nodes", "5", "--http.server.port", "0", "--gossip.port", "0"]);
  assert.ok(!("help" in five));
  assert.equal(five.nodes, 5);
  assert.equal(five.httpPort, 0);
  assert.deepEqual(parseDemoArgs(["--help"]), { help: true });
  for (const bad of [
    ["--nodes", "0"],
    ["--nodes", "33"],
    ["--nodes", "three"],
    ["--gossip.port", "70000"],
    ["--gossip.profile", "wan"],
    ["--log.level", "loud"],
    ["--bogus"],
    ["positional"],
  ]) {
    assert.throws(() => parseDemoArgs(bad), { name: "BrokerConfigError" }, bad.join(" "));
  }
});

test("printed commands quote safely for a POSIX shell", () => {
  assert.equal(shellQuote("plain-word"), "plain-word");
  assert.equal(shellQuote(`{"data":"it's"}`), `'{"data":"it'\\''s"}'`);
  const text = readyText(["n1", "n2"], ["http://127.0.0.1:1", "http://127.0.0.1:2"], ["a", "b"], true);
  assert.match(text, /curl -N http:\/\/127\.0\.0\.1:1\/channel\/demo/);
  assert.match(text, /curl -X POST http:\/\/127\.0\.0\.1:2\/channel\/demo/);
});

test("taken ports are skipped: TCP for HTTP, TCP and UDP for gossip", async () => {
  const tcp = createServer();
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  const taken = (tcp.address() as { port: number }).port;
  const udp = createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  const udpTaken = udp.address().port;
  try {
    assert.equal(await isPortFree("127.0.0.1", taken, false), false);
    assert.equal(await isPortFree("127.0.0.1", udpTaken, true), false);
    const next = await findFreePort("127.0.0.1", taken, { udp: false });
    assert.ok(next > taken, `${next} after ${taken}`);
    assert.equal(await findFreePort("127.0.0.1", 0, { udp: true }), 0, "0 stays 0");

    const cluster = await DemoCluster.start({
      nodes: 1,
      host: "127.0.0.1",
      gossipPort: udpTaken,
      httpPort: taken,
      profile: "local",
      logLevel: "silent",
    });
    try {
      const m = cluster.members[0]!;
      assert.ok(m.httpPort > taken, `http ${m.httpPort} after the taken ${taken}`);
      assert.ok(m.gossipPort > udpTaken, `gossip ${m.gossipPort} after the taken ${udpTaken}`);
      const res = await fetch(`${cluster.url(0)}/healthz`);
      assert.equal(res.status, 200);
      // `start 1` on a running node does nothing, and says so instead of claiming a restart.
      const before = m.node;
      assert.equal(await cluster.restart(0), false);
      assert.equal(m.node, before);
      assert.match(demoCommandReply(false, false, m.name, cluster.url(0)), /already running/);
      await cluster.kill(0);
      assert.equal(await cluster.restart(0), true);
      assert.match(demoCommandReply(false, true, m.name, cluster.url(0)), /started again/);
    } finally {
      await cluster.stop();
    }
  } finally {
    await new Promise<void>((r) => (tcp as Server).close(() => r()));
    udp.close();
  }
});

test("stopping the demo: every node leaves gracefully, and the others hear each goodbye", async () => {
  const cluster = await DemoCluster.start({
    nodes: 3,
    host: "127.0.0.1",
    gossipPort: 0,
    httpPort: 0,
    profile: "local",
    logLevel: "silent",
  });
  try {
    assert.equal(await cluster.waitFormed(30_000), true, "the cluster formed");
    // node-1 stops last, so it sees the other two go.
    const heard: string[] = [];
    cluster.members[0]!.node!.membership.ml.on("leave", (n) => {
      if (n.name !== "node-1") heard.push(`${n.name}:${n.state}`);
    });
    const stopped: string[] = [];
    await cluster.stop((name) => stopped.push(name));
    assert.deepEqual(stopped, ["node-3", "node-2", "node-1"]);
    assert.deepEqual(heard.sort(), ["node-2:left", "node-3:left"], "left, not dead: no failure detection");
    assert.ok(cluster.members.every((m) => m.node === null));
  } finally {
    await cluster.stop();
  }
});

/** Runs a printed command line in a POSIX shell, in its own process group. */
function shell(line: string): ChildProcess {
  return spawn("sh", ["-c", line], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
}

test("npm start: three nodes, printed URLs and commands work, Ctrl-C leaves and exits 0", {
  timeout: 120_000,
}, async () => {
  // detached: its own process group, so a Ctrl-C can go to all of it, as a terminal sends it.
  const npm = spawn("npm", ["start"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let exit: { code: number | null; signal: string | null } | null = null;
  npm.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  npm.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  npm.on("exit", (code, signal) => {
    exit = { code, signal };
  });
  const subscriber: { proc: ChildProcess | null; got: string } = { proc: null, got: "" };
  try {
    await waitFor(() => out.includes("Press Ctrl-C") || exit !== null, "npm start to print its URLs", 60_000);
    assert.equal(exit, null, `npm start exited early:\n${out}\n${err}`);
    const dashboards = [...out.matchAll(/^\s+node-\d+\s+(http:\/\/\S+\/)\s/gm)].map((m) => m[1]!);
    assert.equal(dashboards.length, 3, out);
    const subscribeLine = /^\s*(curl -N \S+)\s*$/m.exec(out)?.[1];
    const publishLine = /^\s*(curl -X POST .+)$/m.exec(out)?.[1];
    assert.ok(subscribeLine !== undefined && publishLine !== undefined, out);

    for (const url of dashboards) {
      const page = await fetch(url);
      assert.equal(page.status, 200, url);
      assert.match(await page.text(), /Shoal dashboard/);
      const snap = (await (await fetch(`${url}dashboard/snapshot`)).json()) as {
        members: { state: string }[];
      };
      assert.equal(snap.members.filter((m) => m.state === "alive").length, 3, `${url} sees three alive`);
    }

    subscriber.proc = shell(subscribeLine);
    subscriber.proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
      subscriber.got += d;
    });
    await waitFor(() => subscriber.got.includes("shoal-ready"), "the subscription to open", 15_000);
    const published = await new Promise<string>((resolve, reject) =>
      execFile("sh", ["-c", publishLine], (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    assert.match(published, /"seq":1/);
    await waitFor(
      () => subscriber.got.includes("data: hello from node-3"),
      "the published event on the other node's stream",
      15_000,
    );
    process.kill(-subscriber.proc.pid!, "SIGTERM");

    process.kill(-npm.pid!, "SIGINT");
    // Bounded, not fast: each node's graceful stop is capped by its 5 s shutdown timeout and they stop
    // one after the other, so 3 x 5 s plus the process's own exit; how fast it stops is not timed here.
    await waitFor(() => exit !== null, "npm start to exit after Ctrl-C", 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, `${out}\n${err}`);
    for (const name of ["node-1", "node-2", "node-3"]) assert.match(out, new RegExp(`${name} left`));
    assert.match(out, /Stopped\./);
  } finally {
    if (subscriber.proc !== null && subscriber.proc.exitCode === null) {
      try {
        process.kill(-subscriber.proc.pid!, "SIGKILL");
      } catch {}
    }
    if (exit === null) {
      try {
        process.kill(-npm.pid!, "SIGKILL");
      } catch {}
    }
  }
});
