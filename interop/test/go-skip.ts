/**
 * The skip reasons shared by the interop tests: where Go and Debian's memberlist 0.2.2, or the v0.6
 * oracle, are missing, the test is skipped with a reason that says what went unchecked, and a warning
 * is printed so that a skip is never mistaken for a pass.
 */
import { goAvailable } from "../lib/go-build.ts";
import { defaultOraclePath, oracleBinary } from "../lib/oracle.ts";

/** False when Go is installed; otherwise the skip reason (already printed as a warning). */
export function skipWithoutGo(testFile: string, unchecked: string): false | string {
  if (goAvailable()) return false;
  const reason =
    "Go or Debian's memberlist 0.2.2 is not installed (apt: golang-go golang-github-hashicorp-memberlist-dev): " +
    `${unchecked} was NOT checked`;
  console.warn(`\n*** ${testFile} SKIPPED: ${reason} ***\n`);
  return reason;
}

/**
 * False when the v0.6 oracle (memberlist-latest-node) is present; otherwise the skip reason, printed
 * as a warning: without it nothing is proven against the Go memberlist that current services ship.
 */
export function skipWithoutOracle(testFile: string, unchecked: string): false | string {
  if (oracleBinary() !== null) return false;
  const reason =
    `the v0.6 oracle is not present at ${process.env.SHOAL_GO_LATEST_NODE || defaultOraclePath} ` +
    `(set SHOAL_GO_LATEST_NODE to its path): ${unchecked} was NOT checked against Go memberlist v0.6`;
  console.warn(`\n*** ${testFile} SKIPPED: ${reason} ***\n`);
  return reason;
}
