/**
 * Builds the interop Go programs (shoal-interop, shoal-gonode) against Debian's memberlist 0.2.2.
 *
 * memberlist keeps its codec unexported, so the build copies Debian's package source into a throwaway
 * GOPATH under interop/bin/gopath and adds our one shim file (interop/go/shim). Binaries land in
 * interop/bin/<hash>/, where the hash covers our Go sources, Debian's memberlist sources and the Go
 * version: a change to any of them means a rebuild, and an unchanged tree reuses the cached binaries.
 * A lock file serialises builds across processes (test files run in parallel); output is built in a
 * temporary directory and renamed into place, so nobody ever sees a half-written binary.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** The interop/ folder. */
export const interopDir = fileURLToPath(new URL("..", import.meta.url));
/** Where Debian installs Go libraries (GOPATH layout). */
export const debianGopath = "/usr/share/gocode";
/** Debian's memberlist 0.2.2 package source. */
export const debianMemberlistDir = join(debianGopath, "src/github.com/hashicorp/memberlist");

const binDir = join(interopDir, "bin");
const goSourceDir = join(interopDir, "go");
const lockPath = join(binDir, "build.lock");
/** A lock older than this is taken to be left over from a killed build. */
const staleLockMs = 10 * 60_000;
const lockWaitMs = 15 * 60_000;

/** Paths of the two built programs. */
export interface InteropBinaries {
  /** `shoal-interop`: vectors, check, bench. */
  interop: string;
  /** `shoal-gonode`: a live Go memberlist node. */
  gonode: string;
}

function goVersion(): string | null {
  const r = spawnSync("go", ["version"], { encoding: "utf8", env: goEnv("") });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** True when the Go toolchain and Debian's memberlist source (with its msgpack codec) are installed. */
export function goAvailable(): boolean {
  return (
    goVersion() !== null &&
    existsSync(join(debianMemberlistDir, "net.go")) &&
    existsSync(join(debianGopath, "src/github.com/hashicorp/go-msgpack/codec"))
  );
}

function goEnv(gopath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: "off", CGO_ENABLED: "0", GOFLAGS: "" };
  if (gopath) env.GOPATH = gopath;
  // Go needs a cache directory; give it one inside bin/ when the environment offers none.
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = join(binDir, "go-cache");
  return env;
}

async function listFiles(dir: string, keep: (path: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path, keep)));
    else if (keep(path)) out.push(path);
  }
  return out.sort();
}

const isGoSource = (p: string): boolean => p.endsWith(".go") && !p.endsWith("_test.go");

/** Hash of everything the binaries are built from. */
async function sourceHash(version: string): Promise<string> {
  const h = createHash("sha256").update(version);
  for (const root of [goSourceDir, debianMemberlistDir]) {
    for (const file of await listFiles(root, isGoSource)) {
      h.update(relative(root, file))
        .update("\0")
        .update(await readFile(file))
        .update("\0");
    }
  }
  return h.digest("hex").slice(0, 16);
}

function binariesIn(dir: string): InteropBinaries {
  return { interop: join(dir, "shoal-interop"), gonode: join(dir, "shoal-gonode") };
}

function builtIn(dir: string): boolean {
  const b = binariesIn(dir);
  return existsSync(b.interop) && existsSync(b.gonode);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the build lock, breaking it when its holder died or it is very old. */
async function acquireLock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const fh = await open(lockPath, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    try {
      const [text, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
      const pid = Number.parseInt(text, 10);
      const orphaned = text !== "" && Number.isInteger(pid) && !processAlive(pid);
      if (orphaned || Date.now() - info.mtimeMs > staleLockMs) await rm(lockPath, { force: true });
    } catch {
      // The holder released it between our attempts: try again at once.
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the Go build lock ${lockPath}`);
    // Polling a lock file is the only portable cross-process wait Node offers.
    await delay(250);
  }
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${output}`));
    });
  });
}

/** Copies Debian's memberlist (without tests) plus our shim into the throwaway GOPATH. */
async function prepareGopath(gopath: string): Promise<void> {
  const pkgDir = join(gopath, "src/github.com/hashicorp/memberlist");
  await rm(gopath, { recursive: true, force: true });
  await mkdir(pkgDir, { recursive: true });
  await cp(debianMemberlistDir, pkgDir, {
    recursive: true,
    filter: (src) => !src.endsWith("_test.go"),
  });
  await cp(join(goSourceDir, "shim/zz_shoal_export.go"), join(pkgDir, "zz_shoal_export.go"));
}

/** Removes other source hashes' binaries and, since we hold the lock, any killed build's temp dir. */
async function removeOldBuilds(keep: string): Promise<void> {
  for (const entry of await readdir(binDir, { withFileTypes: true })) {
    const stale = /^[0-9a-f]{16}$/.test(entry.name) || entry.name.startsWith("tmp-");
    if (entry.isDirectory() && stale && entry.name !== keep) {
      await rm(join(binDir, entry.name), { recursive: true, force: true });
    }
  }
}

/**
 * Builds both programs once (one `go build` for the two) and returns their paths, or null when Go or
 * Debian's memberlist is not installed. Reuses the cached build while the sources are unchanged.
 */
export async function buildInteropBinaries(): Promise<InteropBinaries | null> {
  const version = goVersion();
  if (version === null || !goAvailable()) return null;
  const hash = await sourceHash(version);
  const outDir = join(binDir, hash);
  if (builtIn(outDir)) return binariesIn(outDir);
  await mkdir(binDir, { recursive: true });
  const release = await acquireLock();
  try {
    if (builtIn(outDir)) return binariesIn(outDir);
    const gopath = join(binDir, "gopath");
    await prepareGopath(gopath);
    const tmpDir = join(binDir, `tmp-${process.pid}-${hash}`);
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    await run(
      "go",
      ["build", "-o", `${tmpDir}/`, "./cmd/shoal-interop", "./cmd/shoal-gonode"],
      goSourceDir,
      goEnv(`${gopath}:${debianGopath}`),
    );
    await writeFile(join(tmpDir, "SOURCE_HASH"), `${hash}\n${version}\n`);
    await rm(outDir, { recursive: true, force: true });
    await rename(tmpDir, outDir);
    await removeOldBuilds(hash);
    return binariesIn(outDir);
  } finally {
    await release();
  }
}

/** Builds (or reuses) the programs and returns the `shoal-interop` path, or null without Go. */
export async function buildInterop(): Promise<string | null> {
  return (await buildInteropBinaries())?.interop ?? null;
}
