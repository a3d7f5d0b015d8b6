/**
 * The `shoal` command. `shoal start` takes sse-cluster's flags and environment variables, plus
 * Shoal's own, and a `--config` file with the same names; a flag wins over its environment
 * variable, which wins over the file, which wins over the default.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { helpText } from "./cli/flags.ts";
import { applyHeapGrowth } from "./cli/heap-growth.ts";
import { parseStartArgs } from "./cli/parse.ts";
import { runDemo } from "./demo/command.ts";
import { createLogger, type LogFormat } from "./log.ts";
import { type NodeConfig, startShoalNode } from "./node.ts";

export { FLAGS, helpText } from "./cli/flags.ts";
export { parseDuration, parseSecretKey, parseStartArgs, type StartSettings } from "./cli/parse.ts";
export type { NodeConfig };

/** The version of `@shoal/broker` (its package.json sits one folder above both src/ and dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Text on a terminal (people read it), JSON otherwise (log shippers parse it). */
export function defaultLogFormat(stream: { isTTY?: boolean }): LogFormat {
  return stream.isTTY === true ? "text" : "json";
}

/** Entry point: `shoal start|demo [flags]`. Resolves with the process exit code for errors, null once started. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(helpText());
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command === "demo") return runDemo(rest);
  if (command === "keygen") {
    // A 32-byte AES key for --gossip.secretKey (give the same one to every node).
    process.stdout.write(`${randomBytes(32).toString("base64")}\n`);
    return 0;
  }
  if (command !== "start") {
    process.stderr.write(`shoal: unknown command "${command}"\n\n${helpText()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseStartArgs>;
  try {
    parsed = parseStartArgs(rest, env);
  } catch (err) {
    process.stderr.write(`shoal: ${(err as Error).message}\n`);
    return 2;
  }
  if ("help" in parsed) {
    process.stdout.write(helpText());
    return 0;
  }
  if ("version" in parsed) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const { config, logLevel } = parsed;
  const logFormat = parsed.logFormat ?? defaultLogFormat(process.stderr);
  const logger = createLogger(logLevel, { node: config.name }, undefined, logFormat);
  if (applyHeapGrowth(parsed.heapGrowthPercent) === "node-option")
    logger.info("--memory.heapGrowth not applied: Node was started with --heap-growing-percent");
  let node: Awaited<ReturnType<typeof startShoalNode>>;
  try {
    node = await startShoalNode(config, logger);
  } catch (err) {
    logger.error("failed to start", { error: (err as Error).message });
    return 1;
  }
  const onSignal = (signal: string) => {
    logger.info("stopping", { signal });
    const force = setTimeout(() => {
      logger.error("graceful stop took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 1_000);
    force.unref();
    node.stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error("stop failed", { error: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  return null;
}
