/** IP address bytes ↔ strings, as Go's net.IP. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DecodeError } from "../../src/errors.ts";
import { bytesToIp, ipToBytes } from "../../src/wire/index.ts";
import { hex, toHex } from "./helpers.ts";

describe("addresses", () => {
  it("parses IPv4 to 4 bytes and IPv6 to 16", () => {
    assert.equal(toHex(ipToBytes("10.0.0.1")), "0a000001");
    assert.equal(toHex(ipToBytes("255.255.255.255")), "ffffffff");
    assert.equal(toHex(ipToBytes("::1")), "00000000000000000000000000000001");
    assert.equal(toHex(ipToBytes("::")), "00000000000000000000000000000000");
    assert.equal(toHex(ipToBytes("[fe80::1%eth0]")), "fe800000000000000000000000000001");
    assert.equal(toHex(ipToBytes("::ffff:10.0.0.1")), "00000000000000000000ffff0a000001");
    assert.equal(toHex(ipToBytes("2001:db8:0:0:1:0:0:1")), "20010db8000000000001000000000001");
    assert.equal(toHex(ipToBytes("1:2:3:4:5:6:7::")), "00010002000300040005000600070000");
  });

  it("refuses garbage", () => {
    for (const s of [
      "",
      "10.0.0",
      "10.0.0.256",
      "10.0.0.1.2",
      "01.2.3.4",
      "a.b.c.d",
      "example.com",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "1.2.3.4::",
      "::1.2.3",
    ]) {
      assert.throws(() => ipToBytes(s), ConfigError, s);
    }
  });

  it("formats like Go: IPv4-mapped as dotted quad, IPv6 compressed", () => {
    assert.equal(bytesToIp(hex("0a000001")), "10.0.0.1");
    assert.equal(bytesToIp(hex("00000000000000000000ffff0a000001")), "10.0.0.1");
    assert.equal(bytesToIp(hex("20010db8000000000001000000000001")), "2001:db8::1:0:0:1");
    assert.equal(bytesToIp(hex("00000000000000000000000000000001")), "::1");
    assert.equal(bytesToIp(hex("00000000000000000000000000000000")), "::");
    assert.equal(bytesToIp(hex("20010db8000100010001000100010001")), "2001:db8:1:1:1:1:1:1");
    assert.equal(bytesToIp(hex("fe800000000000000000000000000000")), "fe80::");
  });

  it("round-trips and refuses other lengths", () => {
    for (const s of ["10.1.2.3", "2001:db8::1:0:0:1", "fe80::1", "::1"])
      assert.equal(bytesToIp(ipToBytes(s)), s);
    for (const n of [0, 3, 5, 15, 17]) assert.throws(() => bytesToIp(new Uint8Array(n)), DecodeError);
  });
});
