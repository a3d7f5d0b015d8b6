/**
 * `shoal demo`: starts a cluster on this machine, shows progress, prints the dashboards and two
 * commands to try, and on Ctrl-C makes every node leave gracefully before exiting 0.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { joinHostPort } from "@shoal/memberlist";
import { BrokerConfigError } from "../errors.ts";
import { isLogLevel } from "../log.ts";
import { DemoCluster, type DemoOptions, type DemoProgress } from "./cluster.ts";
import { demoHelp, progressText, readyText } from "./output.ts";

/** Parses `shoal demo` arguments; throws {@link BrokerConfigError} on bad ones. */
export function parseDemoArgs(argv: string[]): DemoOptions | { help: true } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        nodes: { type: "string", short: "n" },
        "gossip.port": { type: "string" },
        "http.server.port": { type: "string" },
        "bind.addr": { type: "string" },
        "gossip.profile": { type: "string" },
        "log.level": { type: "string" },
      },
    }));
  } catch (err) {
    throw new BrokerConfigError((err as Error).message);
  }
  if (values.help === true) return { help: true };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    if (typeof text !== "string" || !/^\d+$/.test(text))
      throw new BrokerConfigError(`--${name}: "${String(text)}" is not a whole number`);
    const n = Number(text);
    if (n < min || n > max) throw new BrokerConfigError(`--${name}: ${n} is outside ${min}..${max}`);
    return n;
  };
  const profile = (values["gossip.profile"] as string | undefined) ?? "local";
  if (profile !== "lan" && profile !== "local")
    throw new BrokerConfigError('--gossip.profile must be "lan" or "local"');
  // Node logs would bury the URLs and commands: only errors by default.
  const logLevel = (values["log.level"] as string | undefined) ?? "error";
  if (!isLogLevel(logLevel)) throw new BrokerConfigError(`--log.level: unknown level "${logLevel}"`);
  return {
    nodes: int("nodes", 3, 1, 32),
    gossipPort: int("gossip.port", 7946, 0, 65535),
    httpPort: int("http.server.port", 8080, 0, 65535),
    host: (values["bind.addr"] as string | undefined) ?? "127.0.0.1",
    profile,
    logLevel,
  };
}

/** How the demo talks to the terminal (replaceable in tests). */
export interface DemoIo {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Redraw a progress line in place (a terminal) rather than print one line per step. */
  interactive: boolean;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** How long the cluster may take to form before the URLs are printed anyway. */
const FORM_TIMEOUT_MS = 20_000;

/** Entry point of `shoal demo`: resolves with an exit code on failure, null while running. */
export async function runDemo(
  argv: string[],
  io: DemoIo = {
    out: process.stdout,
    err: process.stderr,
    interactive: process.stdout.isTTY === true,
  },
): Promise<number | null> {
  let options: DemoOptions | { help: true };
  try {
    options = parseDemoArgs(argv);
  } catch (err) {
    io.err.write(`shoal demo: ${(err as Error).message}\n\n${demoHelp()}`);
    return 2;
  }
  if ("help" in options) {
    io.out.write(demoHelp());
    return 0;
  }
  const progress = progressPrinter(io, options.nodes);
  io.out.write(`Starting a ${options.nodes}-node Shoal cluster on ${options.host}…\n`);
  let cluster: DemoCluster | null = null;
  let commands: { close(): void } | null = null;
  // Ctrl-C is handled from the start: while nodes come up it cuts the wait short, then stops them.
  const interrupted = new AbortController();
  let stoppingSince = 0;
  const stop = (running: DemoCluster): void => {
    commands?.close();
    io.out.write("\nStopping: every node leaves the cluster…\n");
    const force = setTimeout(() => {
      io.err.write("shoal demo: graceful stop took too long; exiting\n");
      process.exit(1);
    }, 10_000);
    force.unref();
    running
      .stop((name) => io.out.write(`  ${name} left\n`))
      .then(
        () => {
          io.out.write("Stopped.\n");
          process.exit(0);
        },
        (err: unknown) => {
          io.err.write(`shoal demo: stop failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  const onSignal = (): void => {
    if (stoppingSince !== 0) {
      // `npm start` forwards the Ctrl-C the terminal already sent us: only a later one means "now".
      if (Date.now() - stoppingSince < 1_000) return;
      io.err.write("\nStopping already; exiting now.\n");
      process.exit(130);
    }
    stoppingSince = Date.now();
    if (cluster === null) interrupted.abort();
    else stop(cluster);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let formed: boolean;
  try {
    const started = await DemoCluster.start(options, progress.show);
    cluster = started;
    formed = await started.waitFormed(FORM_TIMEOUT_MS, progress.show, interrupted.signal);
  } catch (err) {
    progress.done();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    io.err.write(`shoal demo: could not start: ${(err as Error).message}\n`);
    return 1;
  }
  progress.done();
  if (interrupted.signal.aborted) {
    stop(cluster);
    return null;
  }
  const running = cluster;
  const names = running.members.map((m) => m.name);
  const urls = running.members.map((_, i) => running.url(i));
  const gossip = running.members.map((m) => joinHostPort(options.host, m.gossipPort));
  io.out.write(readyText(names, urls, gossip, formed));
  const typed = process.stdin.isTTY === true && io.out === process.stdout;
  if (typed) io.out.write("Type `kill 2` or `start 2` (then Enter) to fail or revive a node.\n");
  io.out.write("Press Ctrl-C to stop: every node leaves the cluster gracefully.\n");
  if (typed) commands = listenForCommands(running, io);
  return null;
}

/** Prints progress: a spinner line redrawn in place on a terminal, plain lines otherwise. */
function progressPrinter(io: DemoIo, total: number): { show: (p: DemoProgress) => void; done: () => void } {
  if (!io.interactive) {
    return { show: (p) => io.out.write(`  ${progressText(p, total)}\n`), done: () => {} };
  }
  let text = "";
  let frame = 0;
  const draw = () => {
    if (text !== "") io.out.write(`\r\x1b[2K  ${SPINNER[frame++ % SPINNER.length]} ${text}`);
  };
  const timer = setInterval(draw, 80);
  return {
    show(p) {
      if (p.type === "started") {
        // A finished step becomes a permanent line; the spinner waits for the next step.
        io.out.write(`\r\x1b[2K  ✓ ${progressText(p, total)}\n`);
        text = "";
      } else {
        text = progressText(p, total);
        draw();
      }
    },
    done() {
      clearInterval(timer);
      io.out.write("\r\x1b[2K");
    },
  };
}

/** What the demo says after `kill N` / `start N` (`done` false: the node was already running). */
export function demoCommandReply(kill: boolean, done: boolean, name: string, url: string): string {
  if (kill) return `${name} killed without a goodbye: watch the others suspect it, then declare it dead.\n`;
  return done
    ? `${name} started again at ${url}/\n`
    : `${name} is already running at ${url}/ (kill it first)\n`;
}

/** `kill N` / `start N` typed in the terminal. */
function listenForCommands(cluster: DemoCluster, io: DemoIo): { close(): void } {
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    const m = /^\s*(kill|stop|start|restart)\s+(\d+)\s*$/i.exec(line);
    if (m === null) {
      if (line.trim() !== "") io.out.write("Commands: kill N, start N (N = 1..nodes)\n");
      return;
    }
    const index = Number(m[2]) - 1;
    const member = cluster.members[index];
    if (member === undefined) {
      io.out.write(`No node ${m[2]}: nodes are 1..${cluster.members.length}\n`);
      return;
    }
    const kill = /^(kill|stop)$/i.test(m[1]!);
    const action = kill ? cluster.kill(index).then(() => true) : cluster.restart(index);
    action.then(
      (done) => io.out.write(demoCommandReply(kill, done, member.name, cluster.url(index))),
      (err: unknown) => io.out.write(`${member.name}: ${(err as Error).message}\n`),
    );
  });
  return { close: () => rl.close() };
}
