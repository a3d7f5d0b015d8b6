#!/usr/bin/env node
// Runs every test file of the repository with node's own test runner.
// Node 20's `--test` does not expand globs, so the files are collected here.
// Usage: node scripts/run-tests.mjs [path-prefix ...]   (e.g. packages/memberlist interop)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = ["packages", "interop", "sim"];
const skipDirs = new Set(["node_modules", "dist", ".git", "bin"]);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (skipDirs.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (/\.test\.ts$/.test(name)) out.push(relative(root, path));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((r) => collect(join(root, r), []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)))
  .sort();
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// A backstop so that a hang fails instead of blocking CI: on Node 20 this bounds each test FILE
// (its process is stopped and the file fails); Node 22 applies it to each test instead. The slowest
// file takes about 3 min on a heavily loaded 2-core machine; long real-socket tests set their own,
// tighter `timeout`, which names the test that hung.
const FILE_TIMEOUT_MS = 600_000;
// The usual report on stdout (tap when piped, as node picks by default), and the slowest files on stderr.
const reporter = process.stdout.isTTY ? "spec" : "tap";
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    `--test-reporter=${reporter}`,
    "--test-reporter-destination=stdout",
    `--test-reporter=${join(root, "scripts/test-file-times.mjs")}`,
    "--test-reporter-destination=stderr",
    ...files,
  ],
  // tsx maps @shoal/* to their TypeScript sources through the root tsconfig's `paths` (the
  // packages' exports point at dist/ only); child processes that load tsx inherit it too.
  { cwd: root, stdio: "inherit", env: { ...process.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.json") } },
);
process.exit(result.status ?? 1);
