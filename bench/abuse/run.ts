/**
 * `npm run bench:abuse`: runs every section in this folder (`*.section.ts`, each default-exporting an
 * async function that prints its figures), in name order, or only those named on the command line
 * (`npm run bench:abuse -- gossip`). Each section starts the processes it attacks, on loopback, and
 * stops them; the figures are resource use under attack, never pass or fail.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const sections = readdirSync(dir)
  .filter((f) => f.endsWith(".section.ts"))
  .map((f) => f.slice(0, -".section.ts".length))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (sections.length === 0) {
  console.error(wanted.length === 0 ? "no sections yet" : `no section named ${wanted.join(", ")}`);
  process.exit(1);
}
for (const name of sections) {
  console.log(`\n## ${name}\n`);
  const mod = (await import(`./${name}.section.ts`)) as { default: () => Promise<void> };
  await mod.default();
}
