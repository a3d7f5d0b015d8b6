/**
 * Where each setting of `shoal start` comes from: a flag wins over its environment variable,
 * which wins over the config file, which wins over the default. Every parse error names the
 * source of the bad value (`--gossip.port`, `env GOSSIP_PORT`, `shoal.yaml: gossip.port`), so an
 * operator knows which of the three to fix.
 */
import { BrokerConfigError } from "../errors.ts";
import type { FlagSpec } from "./flags.ts";

/** One resolved setting: its text and where it came from. */
export interface SettingValue {
  text: string;
  source: "flag" | "env" | "file" | "default";
  /** Names the source in messages, e.g. `env GOSSIP_PORT (--gossip.port)`. */
  where: string;
}

/** Parses a duration: plain ms, or with ms/s/m/h. `where` names the source in the error. */
export function parseDuration(where: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new BrokerConfigError(`${where}: "${text}" is not a duration (e.g. 500ms, 15s, 5m)`);
  const unit = m[2] ?? "ms";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(Number(m[1]) * factor);
}

/** The settings of one `shoal start`, resolved across flags, environment, file and defaults. */
export class SettingSources {
  constructor(
    private readonly specs: Record<string, FlagSpec>,
    private readonly flags: ReadonlyMap<string, string>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly file: ReadonlyMap<string, string>,
    private readonly filePath: string,
  ) {}

  /** The winning value of `name` and its source. */
  get(name: string): SettingValue {
    const spec = this.specs[name];
    if (spec === undefined) throw new Error(`no such setting: ${name}`); // a bug, not bad input
    const flag = this.flags.get(name);
    if (flag !== undefined) return { text: flag, source: "flag", where: `--${name}` };
    const env = this.env[spec.env];
    if (env !== undefined) return { text: env, source: "env", where: `env ${spec.env} (--${name})` };
    const file = this.file.get(name);
    if (file !== undefined) return { text: file, source: "file", where: `${this.filePath}: ${name}` };
    return { text: spec.default, source: "default", where: `default of --${name}` };
  }

  text(name: string): string {
    return this.get(name).text;
  }

  int(name: string, min: number, max: number): number {
    const { text, where } = this.get(name);
    if (!/^\d+$/.test(text.trim())) throw new BrokerConfigError(`${where}: "${text}" is not a whole number`);
    const n = Number(text);
    if (n < min || n > max) throw new BrokerConfigError(`${where}: ${n} is outside ${min}..${max}`);
    return n;
  }

  bool(name: string): boolean {
    const { text, where } = this.get(name);
    const t = text.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(t)) return true;
    if (["0", "false", "no", "off", ""].includes(t)) return false;
    throw new BrokerConfigError(`${where}: "${text}" is not a boolean`);
  }

  duration(name: string): number {
    const { text, where } = this.get(name);
    return parseDuration(where, text);
  }

  /** Comma-separated list, blanks dropped. */
  list(name: string): string[] {
    return this.text(name)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }

  /** One of `choices`. */
  oneOf<T extends string>(name: string, choices: readonly T[]): T {
    const { text, where } = this.get(name);
    if (!(choices as readonly string[]).includes(text))
      throw new BrokerConfigError(`${where}: "${text}" is not one of ${choices.join(", ")}`);
    return text as T;
  }
}
