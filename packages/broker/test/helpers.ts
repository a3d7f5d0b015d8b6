/**
 * Test helpers: a raw SSE client over node:http (so tests see exact bytes and can stop reading),
 * condition waits with generous deadlines, and a broker on an ephemeral loopback port.
 */
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Broker, type BrokerOptions, createBroker } from "../src/broker.ts";

/** Polls `cond` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A parsed SSE event as a client sees it. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  retry?: number;
}

/** Minimal spec-following SSE client that records everything. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  lastEventId: string | undefined;
  status = 0;
  headers: IncomingMessage["headers"] = {};
  ended = false;
  private buf = "";
  private cur: { id?: string; event?: string; data: string[] } = { data: [] };
  private res: IncomingMessage | null = null;
  private req: ReturnType<typeof request> | null = null;

  /** Opens a stream; resolves once the response headers are in. */
  static open(base: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        { headers: { Accept: "text/event-stream", ...headers } },
        (res) => {
          client.res = res;
          client.status = res.statusCode ?? 0;
          client.headers = res.headers;
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => client.feed(chunk));
          res.on("end", () => {
            client.ended = true;
          });
          res.on("error", () => {
            client.ended = true;
          });
          res.on("close", () => {
            client.ended = true;
          });
          resolve(client);
        },
      );
      client.req = req;
      req.on("error", (err) => {
        client.ended = true;
        reject(err);
      });
      req.end();
    });
  }

  /** Events of a given type (default: unnamed `message` events). */
  named(type = "message"): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  close(): void {
    this.req?.destroy();
    this.res?.destroy();
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (m === null) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.cur.id !== undefined) this.lastEventId = this.cur.id;
      if (this.cur.data.length > 0) {
        this.events.push({
          id: this.cur.id,
          event: this.cur.event ?? "message",
          data: this.cur.data.join("\n"),
        });
      }
      this.cur = { data: [] };
      return;
    }
    if (line.startsWith(":")) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.cur.data.push(value);
    else if (field === "event") this.cur.event = value;
    else if (field === "id") this.cur.id = value;
    else if (field === "retry") this.retry = Number(value);
  }
}

/** A broker on its own HTTP server, on an ephemeral loopback port. */
export interface TestNode {
  broker: Broker;
  server: Server;
  base: string;
  port: number;
  stop(): Promise<void>;
}

export async function startNode(options: BrokerOptions = {}, port = 0): Promise<TestNode> {
  const holder: { broker?: Broker } = {};
  const server = createServer((req, res) => {
    if (!holder.broker?.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  const broker = createBroker(options);
  holder.broker = broker;
  broker.attach(server);
  return {
    broker,
    server,
    port: actual,
    base: `http://127.0.0.1:${actual}`,
    async stop() {
      await broker.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends a JSON request; returns status and parsed body (or text). */
export async function httpJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: IncomingMessage["headers"] }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers) };
}
