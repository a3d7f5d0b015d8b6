/**
 * `@shoal/memberlist/internal`: engine pieces that Shoal's own simulator, interop suite and benchmarks
 * measure against. It carries NO STABILITY PROMISE: anything here may change shape or disappear in any
 * release, patch releases included. Applications use the package's main entry point.
 */
export { suspicionConfirmationsWanted, suspicionTimeout } from "./swim/formulas.ts";
