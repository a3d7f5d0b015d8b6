/** What `shoal demo` prints: a progress line while nodes come up, then URLs and commands. */
import type { DemoProgress } from "./cluster.ts";

/** The channel the printed commands use. */
export const DEMO_CHANNEL = "demo";

/** One line of progress text. */
export function progressText(p: DemoProgress, total: number): string {
  switch (p.type) {
    case "starting":
      return `starting ${p.name} (${p.index + 1}/${total})`;
    case "started":
      return `${p.name} up: http ${p.httpPort}, gossip ${p.gossipPort}`;
    case "forming":
      return `joining into one cluster: ${Number.isFinite(p.seen) ? p.seen : 0}/${p.expected} members alive everywhere`;
  }
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The summary once the cluster is up. `urls[i]` is node i's `http://host:port`. */
export function readyText(names: string[], urls: string[], gossip: string[], formed: boolean): string {
  const width = Math.max(...names.map((n) => n.length));
  const lines = [
    "",
    formed
      ? `Shoal is running: ${names.length} node${names.length === 1 ? "" : "s"}, one cluster.`
      : `Shoal is running: ${names.length} nodes (still joining: the dashboards show who sees whom).`,
    "",
    "Dashboards (each node draws the cluster from its own point of view):",
  ];
  names.forEach((name, i) => {
    lines.push(`  ${name.padEnd(width)}  ${urls[i]}/    gossip ${gossip[i]}`);
  });
  const first = urls[0]!;
  const last = urls[urls.length - 1]!;
  const lastName = names[names.length - 1]!;
  const body = JSON.stringify({ data: `hello from ${lastName}` });
  lines.push(
    "",
    `Subscribe on ${names[0]} (leave it running):`,
    `  curl -N ${first}/channel/${DEMO_CHANNEL}`,
    "",
    `Publish on ${lastName}, from another terminal:`,
    `  curl -X POST ${last}/channel/${DEMO_CHANNEL} -H 'Content-Type: application/json' -d ${shellQuote(body)}`,
    "",
    "",
  );
  return lines.join("\n");
}

/** The help of `shoal demo`. */
export function demoHelp(): string {
  return [
    "Usage: shoal demo [--nodes N] [flags]",
    "",
    "Runs N Shoal nodes (default 3) in this process, joined into one cluster, each serving its",
    "live dashboard at /. Ctrl-C makes every node leave gracefully.",
    "",
    "Flags:",
    "  --nodes <n>                  Number of nodes, 1..32 (default 3).",
    "  --gossip.port <port>         First gossip port; taken ones are skipped (default 7946; 0 = any).",
    "  --http.server.port <port>    First HTTP port; taken ones are skipped (default 8080; 0 = any).",
    "  --bind.addr <addr>           Address the nodes bind to (default 127.0.0.1).",
    "  --gossip.profile <p>         local (fast failure detection, default) or lan.",
    "  --log.level <level>          Node logs on stderr: debug, info, warn, error (default), silent.",
    "  -h, --help                   Show this help.",
    "",
    "While it runs (in a terminal): type `kill 2` to stop node 2 without a goodbye and watch the",
    "others suspect it, then declare it dead; `start 2` brings it back.",
    "",
  ].join("\n");
}
