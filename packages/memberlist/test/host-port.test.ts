/** host:port text, in the one module that reads and writes it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../src/errors.ts";
import { joinHostPort, parseHostPort, splitHostPort } from "../src/host-port.ts";

describe("host:port", () => {
  it("brackets IPv6 literals and nothing else", () => {
    assert.equal(joinHostPort("10.0.0.1", 7946), "10.0.0.1:7946");
    assert.equal(joinHostPort("::1", 7946), "[::1]:7946");
    assert.equal(joinHostPort("node.example", 80), "node.example:80");
  });

  it("splits what it joins", () => {
    for (const [host, port] of [
      ["10.0.0.1", 7946],
      ["::1", 1],
      ["fe80::1%eth0", 65535],
      ["name", 0],
    ] as const) {
      assert.deepEqual(splitHostPort(joinHostPort(host, port)), { host, port });
    }
  });

  it("returns null for text that is not host:port", () => {
    for (const bad of [
      "10.0.0.1",
      "::1:80",
      "[::1]",
      "[::1]80",
      "host:",
      "host:x",
      "host:65536",
      "a]:1",
      "[a[b]:1",
      "",
    ]) {
      assert.equal(splitHostPort(bad), null, bad);
    }
  });

  it("reads join addresses with a default port", () => {
    assert.deepEqual(parseHostPort("10.0.0.1", 7946), { host: "10.0.0.1", port: 7946 });
    assert.deepEqual(parseHostPort("10.0.0.1:8000", 7946), { host: "10.0.0.1", port: 8000 });
    assert.deepEqual(parseHostPort("::1", 7946), { host: "::1", port: 7946 });
    assert.deepEqual(parseHostPort("[::1]", 7946), { host: "::1", port: 7946 });
    assert.deepEqual(parseHostPort("[::1]:8000", 7946), { host: "::1", port: 8000 });
    assert.deepEqual(parseHostPort("seed.example", 7946), { host: "seed.example", port: 7946 });
    for (const bad of ["10.0.0.1:x", "10.0.0.1:", "10.0.0.1:70000"]) {
      assert.throws(() => parseHostPort(bad, 7946), ConfigError, bad);
    }
  });
});
