// A node:test reporter that ends the run with the slowest test files (the sum of their top-level
// tests' durations), so that a file creeping towards the suite's time budget shows in every CI log.
const SHOWN = 10;

export default async function* testFileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0) {
      const file = event.data.file ?? "(unknown file)";
      perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  if (slowest.length === 0) return;
  const root = new URL("..", import.meta.url).pathname;
  yield `\nslowest test files (sum of their tests' durations):\n`;
  for (const [file, ms] of slowest) {
    const name = file.startsWith(root) ? file.slice(root.length) : file;
    yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${name}\n`;
  }
}
