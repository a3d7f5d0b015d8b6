#!/usr/bin/env node
// The `shoal` command. In a checkout (tsx installed) it runs the TypeScript sources directly, so no
// build step is needed and a stale build can never shadow the sources; an installed package without
// tsx runs the compiled dist/.
import { existsSync } from "node:fs";
import { register as registerHook } from "node:module";

const sources = new URL("../src/cli.ts", import.meta.url);

async function loadCli() {
  if (existsSync(sources)) {
    const tsx = await import("tsx/esm/api").catch(() => null);
    if (tsx) {
      // Resolve workspace packages (@shoal/memberlist) to their sources, as --conditions=development does.
      registerHook(
        "data:text/javascript,export function resolve(s,c,next){return next(s,{...c,conditions:[...c.conditions,'development']})}",
      );
      tsx.register();
      return import(sources.href);
    }
  }
  return import(new URL("../dist/cli.js", import.meta.url).href);
}

const cli = await loadCli();
const code = await cli.main(process.argv.slice(2), process.env);
if (code !== null) process.exitCode = code;
