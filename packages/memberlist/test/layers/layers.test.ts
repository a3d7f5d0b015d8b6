/**
 * The import rules of the layers, checked on the source text (issue 14's "Done when"): `swim/` does
 * no I/O and knows no concrete transport; `transport/` and `config.ts` know nothing of `swim/`; `wire/`
 * is bytes only; the driver contract imports nothing; and the simulator, the interop suite and the
 * benchmarks reach the packages only through their published entry points.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repo = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));
const src = join(repo, "packages/memberlist/src");

interface Import {
  file: string;
  specifier: string;
  /** Absolute path for relative specifiers, else the bare specifier. */
  target: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name === "bin") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(path);
  }
  return out;
}

/** Static imports, re-exports and dynamic imports with a literal specifier. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const specifier = m[1]!;
      const target = specifier.startsWith(".") ? resolve(dirname(file), specifier) : specifier;
      found.push({ file: relative(repo, file), specifier, target });
    }
  }
  return found;
}

function importsUnder(dir: string): Import[] {
  return sourceFiles(dir).flatMap((f) => importsOf(f, readFileSync(f, "utf8")));
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);
const show = (bad: Import[]): string => bad.map((i) => `${i.file} imports "${i.specifier}"`).join("\n");

describe("layer rules", () => {
  it("the scanner sees static, re-export and dynamic imports", () => {
    const text = 'import { a } from "../x.ts";\nexport * from "./y.ts";\nawait import("node:net");\n';
    assert.deepEqual(
      importsOf(join(src, "swim/f.ts"), text).map((i) => i.specifier),
      ["../x.ts", "./y.ts", "node:net"],
    );
  });

  it("swim/ imports no node: module and no concrete transport", () => {
    const bad = importsUnder(join(src, "swim")).filter(
      (i) => i.target.startsWith("node:") || inside(i.target, join(src, "transport")),
    );
    assert.equal(bad.length, 0, show(bad));
  });

  it("transport/ and config.ts import nothing from swim/", () => {
    const files = [...sourceFiles(join(src, "transport")), join(src, "config.ts")];
    const bad = files
      .flatMap((f) => importsOf(f, readFileSync(f, "utf8")))
      .filter((i) => inside(i.target, join(src, "swim")));
    assert.equal(bad.length, 0, show(bad));
  });

  it("wire/ imports only wire/, errors, the driver contract and node's buffer and crypto", () => {
    const allowed = (i: Import) =>
      inside(i.target, join(src, "wire")) ||
      i.target === join(src, "errors.ts") ||
      i.target === join(src, "driver.ts") ||
      i.target === "node:buffer" ||
      i.target === "node:crypto";
    const bad = importsUnder(join(src, "wire")).filter((i) => !allowed(i));
    assert.equal(bad.length, 0, show(bad));
  });

  it("the driver contract imports nothing", () => {
    const file = join(src, "driver.ts");
    assert.deepEqual(importsOf(file, readFileSync(file, "utf8")), []);
  });

  it("sim/, interop/ and bench/ use the packages' entry points, never packages/*/src", () => {
    const bad = ["sim", "interop", "bench"]
      .flatMap((d) => importsUnder(join(repo, d)))
      .filter((i) => /(^|\/)packages\/[^/]+\/src(\/|$)/.test(i.target));
    assert.equal(bad.length, 0, show(bad));
  });
});
