/**
 * Finding free ports for the demo: the defaults (7946..., 8080...) may be taken by something
 * else on the machine, in which case the next free one is used.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** True when `port` can be bound on `host` right now (TCP, and UDP too when `udp`). */
export async function isPortFree(host: string, port: number, udp: boolean): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!tcp || !udp) return tcp;
  return new Promise<boolean>((resolve) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    socket.once("error", () => {
      try {
        socket.close();
      } catch {
        // never bound: nothing to close
      }
      resolve(false);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * The first free port at or after `start` (0 stays 0: the system picks when binding). After
 * `attempts` taken ports it gives up and returns 0 too.
 */
export async function findFreePort(
  host: string,
  start: number,
  options: { udp: boolean; attempts?: number; avoid?: ReadonlySet<number> },
): Promise<number> {
  if (start === 0) return 0;
  const attempts = options.attempts ?? 100;
  for (let port = start; port < start + attempts && port <= 65535; port++) {
    if (options.avoid?.has(port)) continue;
    if (await isPortFree(host, port, options.udp)) return port;
  }
  return 0;
}
