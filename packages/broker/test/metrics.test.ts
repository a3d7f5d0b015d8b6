/**
 * `/metrics` on prom-client: histograms in seconds (publish latency, publish-to-deliver latency,
 * replication delay), Node's process and event-loop metrics, and the memberlist's metrics through
 * the sink adapter, on two real `shoal start` nodes in this process.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Registry } from "prom-client";
import { parseStartArgs } from "../src/cli/parse.ts";
import { createLogger } from "../src/log.ts";
import { PrometheusMetricsSink, promMetricName } from "../src/metrics/memberlist-sink.ts";
import { type ShoalNode, startShoalNode } from "../src/node.ts";
import { httpJson, SseClient, waitFor } from "./helpers.ts";

const started: ShoalNode[] = [];
const clients: SseClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const n of started) await n.stop().catch(() => {});
});

/** Parses the exposition text into `name{labels}` -> value, checking every line is well formed. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m !== null, `malformed line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function scrape(node: ShoalNode): Promise<{ text: string; values: Map<string, number>; type: string }> {
  const res = await fetch(`http://127.0.0.1:${node.httpPort}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, values: parse(text), type: res.headers.get("content-type") ?? "" };
}

test("two nodes: broker histograms in seconds, process and event-loop metrics, memberlist metrics", async () => {
  for (const name of ["m1", "m2"]) {
    const seeds = started.map((s) => `127.0.0.1:${s.gossipPort}`).join(",");
    const parsed = parseStartArgs(
      ["--node.name", name, "--bind.addr", "127.0.0.1", "--gossip.port", "0", "--http.server.port", "0"],
      { SHOAL_GOSSIP_PROFILE: "local", GOSSIP_HOSTS: seeds },
    );
    assert.ok("config" in parsed);
    started.push(await startShoalNode(parsed.config, createLogger("silent")));
  }
  const [m1, m2] = started as [ShoalNode, ShoalNode];
  await waitFor(
    () =>
      m1.broker.status().replication.some((l) => l.connected) &&
      m2.broker.status().replication.some((l) => l.connected),
    "replication links",
    20_000,
  );
  const sub = await SseClient.open(`http://127.0.0.1:${m2.httpPort}`, "/channel/news");
  clients.push(sub);
  await waitFor(() => sub.named("shoal-ready").length === 1, "ready");
  for (let i = 0; i < 5; i++) {
    const res = await httpJson(`http://127.0.0.1:${m1.httpPort}`, "POST", "/channel/news", { data: `e${i}` });
    assert.equal(res.status, 200);
  }
  await waitFor(() => sub.named().length >= 5, "deliveries on m2");

  const a = await scrape(m1);
  assert.match(a.type, /^text\/plain; version=0\.0\.4/);
  assert.equal(a.values.get("shoal_publish_duration_seconds_count"), 5);
  assert.ok(a.values.get("shoal_publish_duration_seconds_sum")! < 5, "seconds, not ms");
  assert.match(a.text, /^shoal_publish_duration_seconds_bucket\{le="0\.005"\} \d+$/m);
  assert.equal(a.values.get("shoal_events_published_total"), 5);
  // Process and event-loop figures.
  for (const name of [
    "process_cpu_user_seconds_total",
    "process_resident_memory_bytes",
    "nodejs_eventloop_lag_seconds",
    "nodejs_heap_size_used_bytes",
  ])
    assert.ok(a.values.has(name), name);
  // The memberlist's, under Go's names in Prometheus style and base units.
  assert.ok(a.values.get("memberlist_udp_sent_bytes_total")! > 0);
  assert.ok(a.values.get("memberlist_udp_received_bytes_total")! > 0);
  assert.ok(
    (a.values.get("memberlist_tcp_accept_total") ?? 0) + (a.values.get("memberlist_tcp_connect_total") ?? 0) >
      0,
  );
  // The old millisecond gauge is gone; nothing else uses ms.
  assert.doesNotMatch(a.text, /shoal_replication_delay_ms|_ms[{ ]/);

  const b = await scrape(m2);
  assert.equal(b.values.get("shoal_replication_delay_seconds_count"), 5);
  assert.ok(b.values.get("shoal_replication_delay_seconds_sum")! < 5);
  assert.equal(b.values.get("shoal_delivery_latency_seconds_count"), 5);
  assert.ok(b.values.get("shoal_delivery_latency_seconds_sum")! < 5);
  assert.equal(b.values.get("shoal_events_replicated_in_total"), 5);
  assert.equal(b.values.get("shoal_events_delivered_total"), 5);
  assert.equal(b.values.get("shoal_connections"), 1);
  assert.equal(b.values.get("shoal_gossip_members"), 2);
  assert.ok(b.values.get("memberlist_push_pull_node_seconds_count")! >= 1, "m2 joined with a push/pull");
  assert.ok(b.values.get("memberlist_msg_alive_total")! >= 1);
  assert.ok(b.values.get("memberlist_size_remote_bytes_count")! >= 1);
});

test("the sink adapter: Go's keys to Prometheus names in base units, labels, bad calls dropped", async () => {
  assert.deepEqual(promMetricName(["memberlist", "msg", "alive"], "counter"), {
    name: "memberlist_msg_alive_total",
    scale: 1,
  });
  assert.deepEqual(promMetricName(["memberlist", "udp", "sent"], "counter"), {
    name: "memberlist_udp_sent_bytes_total",
    scale: 1,
  });
  assert.deepEqual(promMetricName(["memberlist", "probeNode"], "sample"), {
    name: "memberlist_probe_node_seconds",
    scale: 0.001,
  });
  assert.deepEqual(promMetricName(["memberlist", "health", "score"], "gauge"), {
    name: "memberlist_health_score",
    scale: 1,
  });
  assert.deepEqual(promMetricName(["memberlist", "size", "remote"], "sample"), {
    name: "memberlist_size_remote_bytes",
    scale: 1,
  });

  const registry = new Registry();
  const sink = new PrometheusMetricsSink(registry);
  sink.incrCounter(["memberlist", "msg", "alive"], 1);
  sink.incrCounter(["memberlist", "msg", "alive"], 2);
  sink.setGauge(["memberlist", "health", "score"], 3);
  sink.addSample(["memberlist", "probeNode"], 250); // ms
  sink.incrCounter(["shoal", "memberlist", "packet", "dropped"], 1, [{ name: "reason", value: "junk" }]);
  sink.incrCounter(["shoal", "memberlist", "packet", "dropped"], 1, [
    { name: "reason", value: "junk" },
    { name: "extra", value: "x" },
  ]);
  sink.incrCounter(["shoal", "memberlist", "packet", "dropped"], 1); // missing label: ""
  sink.setGauge(["memberlist", "node", "instances"], 4, [{ name: "node-state", value: "alive" }]);
  // A key whose name another kind holds already, and bad values: dropped, never thrown.
  sink.setGauge(["memberlist", "msg", "alive", "total"], 1);
  sink.incrCounter(["memberlist", "msg", "alive"], -1);
  sink.incrCounter(["memberlist", "msg", "alive"], Number.NaN);
  sink.addSample(["memberlist", "gossip"], Number.NaN);
  const values = parse(await registry.metrics());
  assert.equal(values.get("memberlist_msg_alive_total"), 3);
  assert.equal(values.get("memberlist_health_score"), 3);
  assert.equal(values.get("memberlist_probe_node_seconds_sum"), 0.25);
  assert.equal(values.get('memberlist_probe_node_seconds_bucket{le="0.25"}'), 1);
  assert.equal(values.get('shoal_memberlist_packet_dropped_total{reason="junk"}'), 2);
  assert.equal(values.get('shoal_memberlist_packet_dropped_total{reason=""}'), 1);
  assert.equal(values.get('memberlist_node_instances{node_state="alive"}'), 4);
});
