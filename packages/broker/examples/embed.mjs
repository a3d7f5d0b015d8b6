/**
 * The broker inside an application's own HTTP server: the app keeps its routes, the broker serves
 * its streams and publishes under /events, and one prom-client registry holds both the app's and
 * the broker's metrics. Ctrl-C closes the streams (clients reconnect) and exits.
 *
 *   node packages/broker/examples/embed.mjs [port]        (installed package, or after `npm run build`)
 *   node --import tsx packages/broker/examples/embed.mjs  (in this repository, from the sources)
 *
 *   curl -N localhost:3000/events/channel/news &
 *   curl -XPOST localhost:3000/events/channel/news -H 'content-type: application/json' -d '{"data":"hi"}'
 */
import { createServer } from "node:http";
import { createBroker } from "@shoal/broker";
import { Counter, Registry } from "prom-client";

const registry = new Registry();
const pageViews = new Counter({ name: "app_page_views_total", help: "Pages served.", registers: [registry] });
const broker = createBroker({ prefix: "/events", heartbeatMs: 15_000, metrics: { registry } });

const server = createServer(async (req, res) => {
  if (broker.handle(req, res)) return; // /events/channel/..., /events/healthz, /events/metrics
  if (req.url === "/metrics") {
    res.writeHead(200, { "Content-Type": registry.contentType });
    res.end(await registry.metrics());
    return;
  }
  pageViews.inc();
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
  res.end("the rest of the app; events are under /events/channel/{name}\n");
});
broker.attach(server); // replication links from peers arrive as upgrades on the same port

server.listen(Number(process.argv[2] ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

process.once("SIGINT", async () => {
  await broker.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
