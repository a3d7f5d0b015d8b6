/**
 * The `--config` file of `shoal start`: YAML or JSON (by extension; `.json` is JSON, anything
 * else YAML), with the flags' own names, either dotted (`gossip.port: 42000`) or nested
 * (`gossip: { port: 42000 }`). Every value is turned into the text a flag would carry, so flags,
 * environment variables and the file go through one parser.
 */
import { readFileSync, statSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { BrokerConfigError } from "../errors.ts";

/**
 * Largest config file read. A config file is a few hundred bytes; the bound only keeps a wrong
 * path (a log, a device) from being read into memory whole.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Reads and flattens a config file to `flag name -> text`; `known` names the allowed settings. */
export function loadConfigFile(path: string, known: (name: string) => boolean): Map<string, string> {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_CONFIG_FILE_BYTES)
      throw new Error(`${size} bytes is larger than ${MAX_CONFIG_FILE_BYTES}; is this the config file?`);
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new BrokerConfigError(`config file ${path}: cannot read it: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseConfigText(path, text, known);
}

/** Parses config text (see {@link loadConfigFile}); `path` picks the format and names the source in errors. */
export function parseConfigText(
  path: string,
  text: string,
  known: (name: string) => boolean,
): Map<string, string> {
  let doc: unknown;
  try {
    doc = path.toLowerCase().endsWith(".json")
      ? JSON.parse(text)
      : // core schema: `yes`/`no` stay strings, as in YAML 1.2; aliases bounded (billion laughs).
        parseYaml(text, { schema: "core", uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
  } catch (err) {
    throw new BrokerConfigError(
      `config file ${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const out = new Map<string, string>();
  if (doc === null || doc === undefined) return out; // an empty file sets nothing
  if (!isPlainObject(doc))
    throw new BrokerConfigError(`config file ${path}: the top level must be a mapping of settings`);
  flatten(path, doc, "", out, known);
  return out;
}

function flatten(
  path: string,
  node: Record<string, unknown>,
  prefix: string,
  out: Map<string, string>,
  known: (name: string) => boolean,
): void {
  for (const [key, value] of Object.entries(node)) {
    const name = prefix + key;
    if (known(name)) {
      if (out.has(name)) throw new BrokerConfigError(`config file ${path}: ${name} is set twice`);
      out.set(name, settingText(path, name, value));
    } else if (isPlainObject(value)) {
      flatten(path, value, `${name}.`, out, known);
    } else {
      throw new BrokerConfigError(`config file ${path}: unknown setting "${name}" (see shoal start --help)`);
    }
  }
}

/** The text a flag would carry: lists (seeds, origins) are joined with commas. */
function settingText(path: string, name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return "";
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
    return value.join(",");
  throw new BrokerConfigError(`config file ${path}: ${name} must be a string, number, boolean or list`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
