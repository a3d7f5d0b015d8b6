/**
 * The skip reason shared by every interop test that needs Go: where Go or Debian's memberlist 0.2.2 is
 * missing, the test is skipped with a reason that says what went unchecked, and a warning is printed so
 * that a skip is never mistaken for a pass.
 */
import { goAvailable } from "../lib/go-build.ts";

/** False when Go is installed; otherwise the skip reason (already printed as a warning). */
export function skipWithoutGo(testFile: string, unchecked: string): false | string {
  if (goAvailable()) return false;
  const reason =
    "Go or Debian's memberlist 0.2.2 is not installed (apt: golang-go golang-github-hashicorp-memberlist-dev): " +
    `${unchecked} was NOT checked`;
  console.warn(`\n*** ${testFile} SKIPPED: ${reason} ***\n`);
  return reason;
}
