/**
 * What a user installs: `npm pack` of both packages (the build runs on `prepack`), the tarballs
 * installed into a temporary project outside the workspace (from the tarballs and npm's cache),
 * then an ESM consumer (also under `--conditions=development`), a CommonJS consumer, a strict
 * `tsc --noEmit` TypeScript consumer and `npx shoal --version`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "shoal-pack-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string, extra: string[] = []): string {
  const r = spawnSync(cmd, [...args, ...extra], { cwd, encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const ESM = `
import { Memberlist, defaultLocalConfig } from "@shoal/memberlist";
import { decodeMessage } from "@shoal/memberlist/wire";
import { createBroker } from "@shoal/broker";
const ml = await Memberlist.create({ ...defaultLocalConfig(), name: "esm", bindAddr: "127.0.0.1", bindPort: 0 });
if (ml.localNode.name !== "esm" || ml.numMembers() !== 1) throw new Error("memberlist");
await ml.shutdown();
if (typeof decodeMessage !== "function") throw new Error("wire entry point");
const broker = createBroker();
broker.publish({ channel: "c", data: "x" });
if (!(await broker.metrics()).includes("shoal_events_published_total 1")) throw new Error("metrics");
await broker.close();
console.log("esm ok");
`;

const CJS = `
const { Memberlist, defaultLocalConfig } = require("@shoal/memberlist");
const { createBroker, RequestError } = require("@shoal/broker");
if (typeof Memberlist.create !== "function" || typeof defaultLocalConfig !== "function") throw new Error("memberlist");
const broker = createBroker();
if (broker.publish({ channel: "c", data: "x" }).seq !== 1 || typeof RequestError !== "function") throw new Error("broker");
broker.close().then(() => console.log("cjs ok"));
`;

const TS = `
import { Memberlist, defaultLocalConfig, type MemberlistConfig, type MetricsSink } from "@shoal/memberlist";
import { createBroker, type Broker, type BrokerEvent, PrometheusMetricsSink } from "@shoal/broker";
import { Registry } from "prom-client";
const config: Partial<MemberlistConfig> = { ...defaultLocalConfig(), name: "ts" };
const sink: MetricsSink = new PrometheusMetricsSink(new Registry());
export async function start(): Promise<string> {
  const ml: Memberlist = await Memberlist.create({ ...config, metrics: sink });
  const broker: Broker = createBroker();
  const ev: BrokerEvent = broker.publish({ channel: "c", data: "x" });
  await broker.close();
  await ml.shutdown();
  return \`\${ml.localNode.name} \${ev.seq}\`;
}
`;

test("the packed tarballs install and run outside the workspace: ESM, CommonJS, TypeScript, npx shoal", {
  timeout: 240_000,
}, () => {
  const packs = join(dir, "packs");
  mkdirSync(packs);
  for (const pkg of ["memberlist", "broker"]) {
    const out = spawnSync("npm", ["pack", "--pack-destination", packs, "--json"], {
      cwd: join(root, "packages", pkg),
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(out.status, 0, out.stderr);
    assert.doesNotMatch(out.stderr, /npm warn/i, `npm pack warns: ${out.stderr}`);
    const [info] = JSON.parse(out.stdout.slice(out.stdout.indexOf("["))) as { files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    for (const must of ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"])
      assert.ok(files.includes(must), `${pkg} ships ${must}`);
    // Only compiled code ships: no TypeScript sources (.d.ts aside), no build info.
    assert.deepEqual(
      files.filter((f) => /(?<!\.d)\.ts$|tsbuildinfo/.test(f)),
      [],
      `${pkg} ships sources`,
    );
    const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"));
    assert.equal(manifest.publishConfig?.access, "public");
    assert.ok(manifest.repository?.url, "repository");
    assert.doesNotMatch(JSON.stringify(manifest.exports), /development|(?<!\.d)\.ts"/);
    if (pkg === "broker") assert.ok(files.includes(manifest.bin.shoal), "the bin is shipped");
  }
  const project = join(dir, "consumer");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  const typesNode = JSON.parse(
    readFileSync(join(root, "node_modules/@types/node/package.json"), "utf8"),
  ).version;
  run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      join(packs, "shoal-memberlist-0.1.0.tgz"),
      join(packs, "shoal-broker-0.1.0.tgz"),
      `@types/node@${typesNode}`,
    ],
    project,
  );
  writeFileSync(join(project, "esm.mjs"), ESM);
  writeFileSync(join(project, "cjs.cjs"), CJS);
  writeFileSync(join(project, "consumer.ts"), TS);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        types: ["node"],
        skipLibCheck: false,
      },
      files: ["consumer.ts"],
    }),
  );
  assert.match(run(process.execPath, ["esm.mjs"], project), /esm ok/);
  // A consumer that uses the common `development` condition gets the compiled code, not .ts.
  assert.match(run(process.execPath, ["--conditions=development", "esm.mjs"], project), /esm ok/);
  assert.match(run(process.execPath, ["--no-warnings", "cjs.cjs"], project), /cjs ok/);
  run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], project);
  const { version } = JSON.parse(readFileSync(join(root, "packages/broker/package.json"), "utf8"));
  assert.equal(run("npx", ["--offline", "shoal", "--version"], project).trim(), version);
});
