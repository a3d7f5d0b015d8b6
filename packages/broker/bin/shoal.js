#!/usr/bin/env node
// The `shoal` command. An installed package runs the compiled dist/ (src/ is not shipped). In this
// repository's checkout it runs the TypeScript sources through tsx, with the repository's
// tsconfig mapping @shoal/* to their sources, so no build step is needed and a stale build can
// never shadow the sources.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const sources = new URL("../src/cli.ts", import.meta.url);
const repoTsconfig = new URL("../../../tsconfig.json", import.meta.url);

async function loadCli() {
  if (existsSync(sources) && existsSync(repoTsconfig)) {
    const tsx = await import("tsx/esm/api").catch(() => null);
    if (tsx) {
      tsx.register({ tsconfig: fileURLToPath(repoTsconfig) });
      return import(sources.href);
    }
  }
  return import(new URL("../dist/cli.js", import.meta.url).href);
}

const cli = await loadCli();
const code = await cli.main(process.argv.slice(2), process.env);
if (code !== null) process.exitCode = code;
