/**
 * Recording a real-process run for the simulator's checker (sim/src/broker/checker.ts): publishes
 * over keep-alive HTTP with the answer each got, and SSE streams turned into checker sessions.
 */
import { Agent, request } from "node:http";
import type { PublishRecord, StreamSession } from "../../../sim/src/broker/history.ts";
import type { SseClient } from "./helpers.ts";

/** POSTs `{data}` to `base/channel/<channel>` on a keep-alive agent; records what came back. */
export function postRecorded(
  agent: Agent,
  base: string,
  node: string,
  channel: string,
  token: string,
  out: PublishRecord[],
): Promise<PublishRecord> {
  const rec: PublishRecord = { token, channel, node, at: Date.now(), outcome: "unanswered" };
  out.push(rec);
  const body = JSON.stringify({ data: token });
  return new Promise((resolve) => {
    const req = request(
      `${base}/channel/${channel}`,
      {
        method: "POST",
        agent,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            rec.outcome = "acked";
            rec.answeredAt = Date.now();
            try {
              const parsed = JSON.parse(text) as { origin?: unknown; seq?: unknown };
              if (typeof parsed.origin === "string" && typeof parsed.seq === "number") {
                rec.origin = parsed.origin;
                rec.seq = parsed.seq;
              }
            } catch {}
          } else if (status === 503) {
            rec.outcome = "refused";
            rec.answeredAt = Date.now();
          }
          resolve(rec);
        });
        res.on("error", () => resolve(rec));
      },
    );
    req.on("error", () => resolve(rec));
    req.end(body);
  });
}

/** A keep-alive agent for one publisher: one connection, reused for every publish. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

/** One SSE connection as a checker session (frame times are their order: nothing here resumes). */
export function sessionOf(client: SseClient, node: string, openedAt: number): StreamSession {
  let t = openedAt;
  const frames: StreamSession["frames"] = [];
  for (const e of client.events) {
    t += 0.001;
    if (e.event === "shoal-ready" && e.id !== undefined) frames.push({ kind: "ready", id: e.id, at: t });
    else if (e.event === "reset")
      frames.push(e.id === undefined ? { kind: "reset", at: t } : { kind: "reset", at: t, id: e.id });
    else if (e.event === "message" && e.id !== undefined)
      frames.push({ kind: "event", token: e.data, id: e.id, at: t });
  }
  return { node, openedAt, lastEventId: null, frames };
}
