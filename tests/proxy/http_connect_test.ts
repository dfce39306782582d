import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HttpConnectHandshake } from "../../src/proxy/http_connect.ts";
import { ProxyError } from "../../src/proxy/errors.ts";
import { splits } from "../_util/chunking.ts";

const encoder = new TextEncoder();
const PROXY = "http://proxy.test:3128";

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Feeds chunks until the handshake says the tunnel is open. */
function feed(handshake: HttpConnectHandshake, chunks: readonly Uint8Array[]): boolean {
  let open = false;
  for (const chunk of chunks) open = handshake.receiveData(chunk);
  return open;
}

describe("HttpConnectHandshake request (RFC 9110 §9.3.6)", () => {
  it("sends CONNECT in authority form with a matching Host", () => {
    const handshake = new HttpConnectHandshake({ hostname: "example.com", port: 8080 });
    assert.equal(
      text(handshake.dataToSend()),
      "CONNECT example.com:8080 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
    );
    assert.equal(handshake.dataToSend().length, 0, "the request is given once");
  });

  it("brackets an IPv6 target", () => {
    const handshake = new HttpConnectHandshake({ hostname: "::1", port: 443 });
    assert.ok(
      text(handshake.dataToSend()).startsWith("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n"),
    );
  });

  it("sends Basic Proxy-Authorization from UTF-8 credentials (RFC 7617)", () => {
    const handshake = new HttpConnectHandshake({
      hostname: "h",
      port: 1,
      username: "Aladdin",
      password: "open sesame",
    });
    assert.match(
      text(handshake.dataToSend()),
      /\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n$/,
    );
  });

  it("refuses a username with a colon, a bad port and a bad host", () => {
    assert.throws(
      () => new HttpConnectHandshake({ hostname: "h", port: 1, username: "a:b" }),
      { name: "TypeError", message: 'Cannot open tunnel: the proxy username contains ":"' },
    );
    assert.throws(() => new HttpConnectHandshake({ hostname: "h", port: 0 }), {
      name: "TypeError",
      message: "Cannot open tunnel: the port 0 is not in 1-65535",
    });
    assert.throws(() => new HttpConnectHandshake({ hostname: "a b\r\nX: y", port: 1 }), {
      name: "TypeError",
    });
  });
});

describe("HttpConnectHandshake answer", () => {
  const answer = encoder.encode("HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\nTUNNEL");
  for (const split of splits(answer)) {
    it(`opens on 2xx and keeps the tunnel's first bytes, ${split.name}`, () => {
      const handshake = new HttpConnectHandshake({ hostname: "h", port: 1 });
      handshake.dataToSend();
      assert.equal(feed(handshake, split.chunks), true);
      assert.equal(text(handshake.leftover()), "TUNNEL");
    });
  }

  it("reports a refusal with status and headers", () => {
    const handshake = new HttpConnectHandshake({ hostname: "h", port: 1, proxy: PROXY });
    assert.throws(
      () =>
        handshake.receiveData(
          encoder.encode(
            'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\nbody',
          ),
        ),
      (error: unknown) => {
        assert.ok(error instanceof ProxyError);
        assert.equal(error.code, "CONNECT_REFUSED");
        assert.equal(error.status, 407);
        assert.equal(error.statusText, "Proxy Authentication Required");
        assert.deepEqual(error.headers, [["proxy-authenticate", 'Basic realm="x"']]);
        assert.equal(error.proxy, PROXY);
        assert.equal(
          error.message,
          `Cannot open tunnel: the proxy ${PROXY} answered CONNECT with 407 Proxy Authentication Required`,
        );
        return true;
      },
    );
  });

  it("reports garbage as MALFORMED_REPLY and a huge head as REPLY_TOO_LARGE", () => {
    const bad = new HttpConnectHandshake({ hostname: "h", port: 1, proxy: PROXY });
    assert.throws(() => bad.receiveData(encoder.encode("SSH-2.0-OpenSSH\r\n\r\n")), {
      name: "ProxyError",
      code: "MALFORMED_REPLY",
    });
    const big = new HttpConnectHandshake({ hostname: "h", port: 1, maxHeadSize: 64 });
    assert.throws(
      () => big.receiveData(encoder.encode(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(100)}\r\n`)),
      { name: "ProxyError", code: "REPLY_TOO_LARGE" },
    );
  });

  it("reports an end of stream before the answer, and ignores one after", () => {
    const handshake = new HttpConnectHandshake({ hostname: "h", port: 1, proxy: PROXY });
    handshake.receiveData(encoder.encode("HTTP/1.1 200"));
    assert.throws(() => handshake.receiveEof(), {
      name: "ProxyError",
      code: "UNEXPECTED_EOF",
      message:
        `Cannot open tunnel: the proxy ${PROXY} closed the connection before answering CONNECT`,
    });
    const open = new HttpConnectHandshake({ hostname: "h", port: 1 });
    open.receiveData(encoder.encode("HTTP/1.0 200 OK\r\n\r\n"));
    open.receiveEof();
    assert.equal(open.receiveData(encoder.encode("more")), true);
  });
});
