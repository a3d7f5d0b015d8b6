/**
 * A benchmark's server in a child process (the same file run with `--role=server`), driven over
 * IPC: each command is answered by a message of a named type. Children keep their CPU time their
 * own, so per-delivery figures are the broker's alone.
 */
import { type ChildProcess, fork } from "node:child_process";

export class ChildServer<Command> {
  port = 0;
  private waiters = new Map<string, (msg: Record<string, unknown>) => void>();
  private constructor(readonly child: ChildProcess) {
    child.on("message", (msg: Record<string, unknown>) => {
      const w = this.waiters.get(String(msg.type));
      if (w) {
        this.waiters.delete(String(msg.type));
        w(msg);
      }
    });
  }

  /** Forks `file --role=server` with `execArgv` and waits for its `listening` message (with its port). */
  static async spawn<C>(file: string, execArgv: string[]): Promise<ChildServer<C>> {
    const child = fork(file, ["--role=server"], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const s = new ChildServer<C>(child);
    s.port = Number((await s.next("listening")).port);
    return s;
  }

  next(type: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.waiters.set(type, resolve));
  }

  /** Sends `cmd` and resolves with the next message of type `reply`. */
  call(cmd: Command, reply: string): Promise<Record<string, unknown>> {
    const p = this.next(reply);
    this.child.send(cmd as object);
    return p;
  }

  /** Kills the child and waits for it to exit. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill(signal);
    await exited;
  }
}

/** Polls `cond` every 10 ms until it holds (true) or `timeoutMs` passes (false). */
export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
