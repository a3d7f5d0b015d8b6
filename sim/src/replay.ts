/**
 * Making a failed run reproducible: every failure carries its seed and the exact command that
 * replays it.
 */

/** An error raised by (or inside) a simulation run, with what it takes to replay it. */
export class SimFailure extends Error {
  readonly seed: number;
  readonly replay: string;
  readonly virtualTimeMs: number;
  constructor(message: string, seed: number, replay: string, virtualTimeMs: number, cause?: unknown) {
    super(
      `${message}\n  seed: ${seed}\n  virtual time: ${virtualTimeMs.toFixed(3)} ms\n  replay: ${replay}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "SimFailure";
    this.seed = seed;
    this.replay = replay;
    this.virtualTimeMs = virtualTimeMs;
  }
}

/** The seed a test should use: `SIM_SEED` from the environment when replaying, else `fallback`. */
export function testSeed(fallback: number): number {
  const env = process.env.SIM_SEED;
  if (env === undefined || env === "") return fallback;
  const n = Number(env);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

/** The command that replays one test file with a given seed. */
export function testReplayCommand(testFile: string, seed: number): string {
  return `SIM_SEED=${seed} node scripts/run-tests.mjs ${testFile}`;
}

/** Parses a seed given on a command line; accepts decimal or 0x-hex up to 2^53. */
export function parseSeed(text: string): number | null {
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
