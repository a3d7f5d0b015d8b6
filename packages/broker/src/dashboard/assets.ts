/**
 * The dashboard's static files (HTML, CSS, JS: no build step). They live next to the sources in
 * `assets/`; compiled code in `dist/dashboard/` finds them in the package's `src/` folder.
 */
import { existsSync, readFileSync } from "node:fs";

/** A file ready to serve. */
export interface Asset {
  type: string;
  body: Buffer;
}

const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

function assetDir(): URL {
  const beside = new URL("./assets/", import.meta.url);
  if (existsSync(new URL("index.html", beside))) return beside;
  return new URL("../../src/dashboard/assets/", import.meta.url);
}

/** Reads every asset once; throws when the package is missing them (a packaging bug). */
export function loadAssets(): Map<string, Asset> {
  const dir = assetDir();
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) {
    out.set(name, { type, body: readFileSync(new URL(name, dir)) });
  }
  return out;
}
