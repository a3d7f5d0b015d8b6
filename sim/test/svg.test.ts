import assert from "node:assert/strict";
import { test } from "node:test";
import { barChart, lineChart, niceTicks } from "../src/svg.ts";

test("nice ticks are round and cover the range", () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 37), [0, 10, 20, 30]);
  assert.deepEqual(niceTicks(5, 5), [5]);
});

test("a line chart is well-formed SVG with one path per series, escaping text", () => {
  const svg = lineChart({
    title: "a < b & c",
    xLabel: "x",
    yLabel: "y",
    series: [
      {
        name: "one",
        points: [
          [1, 1],
          [10, 2],
          [100, Number.POSITIVE_INFINITY],
        ],
      },
      {
        name: "two",
        points: [
          [1, 0],
          [100, 3],
        ],
        dashed: true,
      },
    ],
    logX: true,
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.match(svg, /a &lt; b &amp; c/);
  assert.match(svg, /stroke-dasharray/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test("a bar chart draws finite bars and marks missing ones", () => {
  const svg = barChart({
    title: "t",
    yLabel: "s",
    groups: ["a", "b"],
    series: [{ name: "s1", values: [1, Number.POSITIVE_INFINITY] }],
  });
  assert.equal((svg.match(/<rect x="[\d.]+" y="[\d.]+" width/g) ?? []).length, 2); // one bar + the frame
  assert.match(svg, /∞/);
  assert.doesNotMatch(svg, /NaN/);
});

test("the legend can sit bottom-right", () => {
  const series = [
    {
      name: "only",
      points: [
        [0, 0],
        [1, 1],
      ] as [number, number][],
    },
  ];
  const topLeft = lineChart({ title: "t", xLabel: "x", yLabel: "y", series });
  const bottomRight = lineChart({ title: "t", xLabel: "x", yLabel: "y", series, legend: "bottom-right" });
  assert.match(topLeft, /<line x1="74" y1="50"/);
  assert.match(bottomRight, /<line x1="394" y1="296"/);
});
