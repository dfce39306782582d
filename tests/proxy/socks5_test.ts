import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SOCKS5_REPLIES, Socks5Handshake } from "../../src/proxy/socks5.ts";
import { ProxyError } from "../../src/proxy/errors.ts";
import { concat, splits } from "../_util/chunking.ts";

const PROXY = "socks5h://proxy.test:1080";
const bytes = (...values: number[]) => new Uint8Array(values);
const SUCCESS_V4 = bytes(5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90);

function feed(socks: Socks5Handshake, chunks: readonly Uint8Array[]): boolean {
  let open = false;
  for (const chunk of chunks) open = socks.receiveData(chunk);
  return open;
}

describe("Socks5Handshake requests (RFC 1928 §3-§5)", () => {
  it("offers no authentication without credentials, then CONNECTs a domain name", () => {
    const socks = new Socks5Handshake({ hostname: "ab.c", port: 0x1234 });
    assert.deepEqual(socks.dataToSend(), bytes(5, 1, 0));
    assert.deepEqual(socks.dataToSend(), bytes());
    assert.equal(socks.receiveData(bytes(5, 0)), false);
    assert.deepEqual(socks.dataToSend(), bytes(5, 1, 0, 3, 4, 0x61, 0x62, 0x2e, 0x63, 0x12, 0x34));
  });

  it("sends IPv4 and IPv6 addresses as such", () => {
    const v4 = new Socks5Handshake({ hostname: "127.0.0.1", port: 80 });
    v4.dataToSend();
    v4.receiveData(bytes(5, 0));
    assert.deepEqual(v4.dataToSend(), bytes(5, 1, 0, 1, 127, 0, 0, 1, 0, 80));
    const v6 = new Socks5Handshake({ hostname: "2001:db8::1", port: 80 });
    v6.dataToSend();
    v6.receiveData(bytes(5, 0));
    assert.deepEqual(
      v6.dataToSend(),
      bytes(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80),
    );
    const mapped = new Socks5Handshake({ hostname: "::ffff:1.2.3.4", port: 1 });
    mapped.dataToSend();
    mapped.receiveData(bytes(5, 0));
    assert.deepEqual([...mapped.dataToSend().subarray(4, 20)], [
      ...Array(10).fill(0),
      0xff,
      0xff,
      1,
      2,
      3,
      4,
    ]);
  });

  it("authenticates with username and password (RFC 1929 §2)", () => {
    const socks = new Socks5Handshake({ hostname: "h", port: 1, username: "u", password: "pw" });
    assert.deepEqual(socks.dataToSend(), bytes(5, 2, 0, 2));
    assert.equal(socks.receiveData(bytes(5, 2)), false);
    assert.deepEqual(socks.dataToSend(), bytes(1, 1, 0x75, 2, 0x70, 0x77));
    assert.equal(socks.receiveData(bytes(1, 0)), false);
    assert.deepEqual(socks.dataToSend(), bytes(5, 1, 0, 3, 1, 0x68, 0, 1));
    assert.equal(socks.receiveData(SUCCESS_V4), true);
  });

  it("refuses credentials, names and ports that cannot be sent", () => {
    assert.throws(
      () => new Socks5Handshake({ hostname: "h", port: 1, username: "u".repeat(256) }),
      {
        name: "TypeError",
        message: "Cannot open tunnel: a SOCKS5 username must be 1-255 bytes",
      },
    );
    assert.throws(
      () => new Socks5Handshake({ hostname: "h", port: 1, password: "p".repeat(256) }),
      {
        name: "TypeError",
      },
    );
    assert.throws(() => new Socks5Handshake({ hostname: "a".repeat(256), port: 1 }), {
      name: "TypeError",
    });
    assert.throws(() => new Socks5Handshake({ hostname: "1::2::3", port: 1 }), {
      name: "TypeError",
    });
    assert.throws(() => new Socks5Handshake({ hostname: "h", port: 65536 }), {
      name: "TypeError",
    });
  });
});

describe("Socks5Handshake replies (RFC 1928 §6)", () => {
  const replies = concat(
    bytes(5, 2),
    bytes(1, 0),
    bytes(5, 0, 0, 3, 3, 0x61, 0x62, 0x63, 0, 80),
    bytes(0x81, 0),
  );
  for (const split of splits(replies)) {
    it(`opens after method, auth and a domain reply, and keeps the tunnel's bytes, ${split.name}`, () => {
      const socks = new Socks5Handshake({ hostname: "h", port: 1, username: "u", password: "p" });
      assert.equal(feed(socks, split.chunks), true);
      assert.deepEqual(socks.leftover(), bytes(0x81, 0));
    });
  }

  it("opens on an IPv6 bound address", () => {
    const socks = new Socks5Handshake({ hostname: "h", port: 1 });
    assert.equal(socks.receiveData(concat(bytes(5, 0, 5, 0, 0, 4), new Uint8Array(18))), true);
    assert.equal(socks.leftover().length, 0);
  });

  for (const [reply, meaning] of Object.entries(SOCKS5_REPLIES)) {
    it(`reports reply ${reply} (${meaning}) as SOCKS_REFUSED`, () => {
      const socks = new Socks5Handshake({ hostname: "h", port: 1, proxy: PROXY });
      socks.receiveData(bytes(5, 0));
      assert.throws(
        () => socks.receiveData(bytes(5, Number(reply), 0, 1, 0, 0, 0, 0, 0, 0)),
        (error) => {
          assert.ok(error instanceof ProxyError);
          assert.equal(error.code, "SOCKS_REFUSED");
          assert.equal(error.replyCode, Number(reply));
          assert.equal(
            error.message,
            `Cannot open tunnel: the SOCKS5 proxy ${PROXY} refused CONNECT: ${meaning} (reply ${reply})`,
          );
          return true;
        },
      );
    });
  }

  it("reports no acceptable method, hinting at credentials", () => {
    const socks = new Socks5Handshake({ hostname: "h", port: 1, proxy: PROXY });
    assert.throws(() => socks.receiveData(bytes(5, 0xff)), {
      name: "ProxyError",
      code: "SOCKS_NO_ACCEPTABLE_METHOD",
      message:
        `Cannot open tunnel: the SOCKS5 proxy ${PROXY} accepts none of the offered authentication methods (it may require a username and password)`,
    });
  });

  it("reports refused credentials", () => {
    const socks = new Socks5Handshake({ hostname: "h", port: 1, username: "u", proxy: PROXY });
    socks.receiveData(bytes(5, 2));
    assert.throws(() => socks.receiveData(bytes(1, 1)), {
      name: "ProxyError",
      code: "SOCKS_AUTH_FAILED",
      message:
        `Cannot open tunnel: the SOCKS5 proxy ${PROXY} refused the username and password (status 1)`,
    });
  });

  it("reports a non-SOCKS5 peer, an unoffered method and a bad address type", () => {
    assert.throws(
      () => new Socks5Handshake({ hostname: "h", port: 1 }).receiveData(bytes(0x48, 0x54)),
      {
        code: "MALFORMED_REPLY",
      },
    );
    assert.throws(() => new Socks5Handshake({ hostname: "h", port: 1 }).receiveData(bytes(5, 2)), {
      code: "MALFORMED_REPLY",
    });
    const socks = new Socks5Handshake({ hostname: "h", port: 1 });
    socks.receiveData(bytes(5, 0));
    assert.throws(() => socks.receiveData(bytes(5, 0, 0, 9, 0, 0)), { code: "MALFORMED_REPLY" });
  });

  it("reports an end of stream during the handshake only", () => {
    const socks = new Socks5Handshake({ hostname: "h", port: 1, proxy: PROXY });
    socks.receiveData(bytes(5));
    assert.throws(() => socks.receiveEof(), { name: "ProxyError", code: "UNEXPECTED_EOF" });
    const open = new Socks5Handshake({ hostname: "h", port: 1 });
    open.receiveData(concat(bytes(5, 0), SUCCESS_V4));
    open.receiveEof();
    assert.equal(open.receiveData(bytes(1)), true);
  });
});
