#!/usr/bin/env node
// The `shoal` command. Runs the compiled package when it has been built, otherwise the
// TypeScript sources directly through tsx (no build step needed on a fresh checkout).
import { existsSync } from "node:fs";

const built = new URL("../dist/cli.js", import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(new URL("../src/cli.ts", import.meta.url).href);
}
const code = await cli.main(process.argv.slice(2), process.env);
if (code !== null) process.exitCode = code;
