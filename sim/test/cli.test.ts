import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["--conditions=development", "--import", "tsx", "sim/cli.ts", ...args], {
    cwd: root,
    encoding: "utf8",
  });
}

test("the CLI prints a table for a small detection run, the same for the same seed", () => {
  const a = cli("detection", "--nodes", "8", "--seed", "3");
  assert.equal(a.status, 0, a.stderr);
  const lines = a.stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /nodes\s+loss\s+seed\s+suspect s/);
  assert.match(lines[2]!, /^\s*8\s+0%\s+3\s+\d+\.\d\d/);
  const b = cli("detection", "--nodes", "8", "--seed", "3");
  // Everything but the wall-clock column is reproducible.
  const strip = (s: string) => s.replace(/\s+\d+\.\d\s*$/gm, "");
  assert.equal(strip(b.stdout), strip(a.stdout));
});

test("the CLI starts a formed cluster with --start formed", () => {
  const r = cli("detection", "--nodes", "300", "--seed", "2", "--start", "formed");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /^\s*300\s+0%\s+2\s+\d+\.\d\d/);
});

test("the CLI rejects bad arguments with a usage message and status 2", () => {
  for (const args of [
    ["nope"],
    ["detection", "--loss", "2"],
    ["detection", "--seed", "-1"],
    ["detection", "--start", "sideways"],
    ["stalls", "--link", "moon"],
    ["stalls", "--link", "wan", "--stall-min", "2000", "--stall-max", "1000"],
  ]) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /usage: npm run sim/);
  }
});
