/**
 * What a network link does to a packet: how long it takes (a distribution, so packets overtake
 * each other and reordering falls out of it), and how often it is lost or duplicated.
 */
import { ConfigError } from "@shoal/memberlist";
import type { Rng } from "./prng.ts";

/** One-way latency in milliseconds, as a distribution. */
export type LatencyModel =
  | { kind: "constant"; ms: number }
  | { kind: "uniform"; minMs: number; maxMs: number }
  /** `baseMs` plus an exponential tail of mean `meanMs`. */
  | { kind: "exponential"; baseMs: number; meanMs: number }
  /** `baseMs` plus a log-normal tail with median `medianMs` and shape `sigma` (heavy-ish tail). */
  | { kind: "lognormal"; baseMs: number; medianMs: number; sigma: number };

export interface LinkProfile {
  latency: LatencyModel;
  /** Probability in [0, 1] that a datagram is dropped. Streams see it as a retransmission delay. */
  loss: number;
  /** Probability in [0, 1] that a datagram is delivered twice (independent latencies). */
  duplicate: number;
}

/** A LAN: ~0.25 ms median one way with a modest tail, no loss. */
export function lanLink(): LinkProfile {
  return { latency: { kind: "lognormal", baseMs: 0.1, medianMs: 0.15, sigma: 0.6 }, loss: 0, duplicate: 0 };
}

/** A WAN-ish link: ~25 ms one way with a longer tail. */
export function wanLink(): LinkProfile {
  return { latency: { kind: "lognormal", baseMs: 20, medianMs: 5, sigma: 0.8 }, loss: 0, duplicate: 0 };
}

function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`${name} must be a probability in [0, 1], got ${p}`);
}

function checkMs(name: string, ms: number): void {
  if (!(ms >= 0 && Number.isFinite(ms)))
    throw new ConfigError(`${name} must be a finite number >= 0, got ${ms}`);
}

/** Throws a ConfigError unless the profile is well-formed. */
export function validateLinkProfile(p: LinkProfile): void {
  checkProbability("loss", p.loss);
  checkProbability("duplicate", p.duplicate);
  const l = p.latency;
  switch (l.kind) {
    case "constant":
      checkMs("latency.ms", l.ms);
      break;
    case "uniform":
      checkMs("latency.minMs", l.minMs);
      checkMs("latency.maxMs", l.maxMs);
      if (l.maxMs < l.minMs) throw new ConfigError("latency.maxMs must be >= latency.minMs");
      break;
    case "exponential":
      checkMs("latency.baseMs", l.baseMs);
      checkMs("latency.meanMs", l.meanMs);
      break;
    case "lognormal":
      checkMs("latency.baseMs", l.baseMs);
      checkMs("latency.medianMs", l.medianMs);
      checkMs("latency.sigma", l.sigma);
      break;
    default:
      throw new ConfigError(`unknown latency kind ${(l as { kind: unknown }).kind}`);
  }
}

/** Draws one latency from `model`. */
export function sampleLatency(model: LatencyModel, rng: Rng): number {
  switch (model.kind) {
    case "constant":
      return model.ms;
    case "uniform":
      return model.minMs + rng.float() * (model.maxMs - model.minMs);
    case "exponential":
      return model.baseMs + rng.exponential(model.meanMs);
    case "lognormal":
      return model.baseMs + model.medianMs * Math.exp(model.sigma * rng.normal());
  }
}

/** The mean of `model`, for reports. */
export function meanLatency(model: LatencyModel): number {
  switch (model.kind) {
    case "constant":
      return model.ms;
    case "uniform":
      return (model.minMs + model.maxMs) / 2;
    case "exponential":
      return model.baseMs + model.meanMs;
    case "lognormal":
      return model.baseMs + model.medianMs * Math.exp((model.sigma * model.sigma) / 2);
  }
}
