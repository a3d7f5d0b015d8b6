/**
 * CIDR matching as a pure function of address bytes. It replaced node:net's BlockList in the engine,
 * so the property test holds it to BlockList's answers (IPv4 and IPv4-mapped IPv6 match each other's
 * rules) on random networks and addresses.
 */
import assert from "node:assert/strict";
import { BlockList, isIPv4 } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bytesToIp, cidrContains, ipToBytes, parseCidr } from "../../src/wire/index.ts";

function blockListCheck(net: string, bits: number, host: string): boolean {
  const list = new BlockList();
  list.addSubnet(net, bits, isIPv4(net) ? "ipv4" : "ipv6");
  return list.check(host, isIPv4(host) ? "ipv4" : "ipv6");
}

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const mapped = ipv4.map((b) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b));
const anyIp = fc.oneof(ipv4, ipv6, mapped);

describe("CIDR", () => {
  it("matches prefixes bit by bit", () => {
    const net = parseCidr("10.1.128.0/17")!;
    assert.ok(cidrContains(net, ipToBytes("10.1.200.3")));
    assert.ok(!cidrContains(net, ipToBytes("10.1.127.255")));
    assert.ok(cidrContains(parseCidr("fd00::/8")!, ipToBytes("fd12::1")));
    assert.ok(!cidrContains(parseCidr("fd00::/8")!, ipToBytes("fe00::1")));
    assert.ok(cidrContains(parseCidr("127.0.0.1")!, ipToBytes("127.0.0.1")), "a bare address is a /32");
    assert.ok(!cidrContains(parseCidr("127.0.0.1")!, ipToBytes("127.0.0.2")));
  });

  it("treats IPv4 and IPv4-mapped IPv6 as the same address, as BlockList does", () => {
    assert.ok(cidrContains(parseCidr("10.0.0.0/8")!, ipToBytes("::ffff:10.1.2.3")));
    assert.ok(cidrContains(parseCidr("::ffff:0:0/96")!, ipToBytes("10.1.2.3")));
    assert.ok(cidrContains(parseCidr("::/0")!, ipToBytes("10.1.2.3")));
    assert.ok(!cidrContains(parseCidr("0.0.0.0/0")!, ipToBytes("::1")));
  });

  it("refuses bad networks and never matches address bytes of another length", () => {
    for (const bad of [
      "",
      "/8",
      "10.0.0.0/33",
      "::/129",
      "10.0.0.0/-1",
      "10.0.0.0/8.5",
      "x/8",
      "[::1]/128",
    ]) {
      assert.equal(parseCidr(bad), null, bad);
    }
    assert.ok(!cidrContains(parseCidr("::/0")!, new Uint8Array(5)));
  });

  it("agrees with node:net's BlockList on random networks and addresses", () => {
    fc.assert(
      fc.property(anyIp, fc.nat(128), anyIp, (netBytes, rawBits, hostBytes) => {
        const net = bytesToIp(netBytes);
        const bits = rawBits % ((isIPv4(net) ? 32 : 128) + 1);
        const host = bytesToIp(hostBytes);
        const cidr = parseCidr(`${net}/${bits}`);
        assert.ok(cidr !== null);
        assert.equal(
          cidrContains(cidr, ipToBytes(host)),
          blockListCheck(net, bits, host),
          `${net}/${bits} ∋ ${host}`,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with BlockList when the host shares the network's prefix", () => {
    fc.assert(
      fc.property(ipv6, fc.nat(128), fc.nat(127), (netBytes, bits, flip) => {
        const host = netBytes.slice();
        host[flip >>> 3]! ^= 0x80 >>> (flip & 7);
        const net = bytesToIp(netBytes);
        const b = isIPv4(net) ? 96 + (bits % 33) : bits;
        const v4 = isIPv4(net);
        const cidr = parseCidr(`${net}/${v4 ? b - 96 : b}`)!;
        const hostIp = bytesToIp(host);
        assert.equal(cidrContains(cidr, host), blockListCheck(net, v4 ? b - 96 : b, hostIp));
      }),
      { numRuns: 2000 },
    );
  });
});
