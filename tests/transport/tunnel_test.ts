import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectThroughProxy } from "../../src/transport/tunnel.ts";
import { createMemoryConnector } from "../../src/transport/memory.ts";
import { parseProxyUrl } from "../../src/proxy/proxy_url.ts";
import { ProxyError } from "../../src/proxy/errors.ts";
import { TransportError } from "../../src/transport/types.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes!);

describe("connectThroughProxy", () => {
  it("sends CONNECT to an http: proxy and hands back the tunnel, first bytes included", async () => {
    const { connector, accept, requests } = createMemoryConnector();
    const opening = connectThroughProxy({ hostname: "::1", port: 8080 }, {
      proxy: parseProxyUrl("http://u:p@proxy.test:3128"),
      connector,
    });
    const proxy = await accept();
    assert.deepEqual(
      { hostname: requests[0]!.hostname, port: requests[0]!.port, tls: requests[0]!.tls },
      { hostname: "proxy.test", port: 3128, tls: undefined },
    );
    assert.equal(
      decode(await proxy.read()),
      "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\nProxy-Authorization: Basic dTpw\r\n\r\n",
    );
    proxy.write(encode("HTTP/1.1 200 OK\r\n\r\nearly"));
    const tunnel = await opening;
    assert.equal(decode(await tunnel.read()), "early");
    tunnel.write(encode("up"));
    assert.equal(decode(await proxy.read()), "up");
    tunnel.close();
  });

  it("connects to an https: proxy with TLS and proxyTls", async () => {
    const { connector, accept, requests } = createMemoryConnector();
    const opening = connectThroughProxy({ hostname: "h", port: 80 }, {
      proxy: parseProxyUrl("https://proxy.test"),
      proxyTls: { ca: "CA" },
      connector,
    });
    const proxy = await accept();
    assert.deepEqual(requests[0]!.tls, { ca: "CA" });
    assert.equal(requests[0]!.port, 443);
    await proxy.read();
    proxy.write(encode("HTTP/1.1 200 OK\r\n\r\n"));
    (await opening).close();
  });

  it("resolves the name itself for socks5: and lets the proxy do it for socks5h:", async () => {
    for (const [scheme, atyp] of [["socks5", 1], ["socks5h", 3]] as const) {
      const { connector, accept } = createMemoryConnector();
      const looked: string[] = [];
      const opening = connectThroughProxy({ hostname: "db.test", port: 5432 }, {
        proxy: parseProxyUrl(`${scheme}://proxy.test`),
        connector,
        lookup: (name) => {
          looked.push(name);
          return Promise.resolve("10.0.0.7");
        },
      });
      const proxy = await accept();
      assert.deepEqual([...(await proxy.read())!], [5, 1, 0]);
      proxy.write(new Uint8Array([5, 0]));
      const request = (await proxy.read())!;
      assert.equal(request[3], atyp);
      if (atyp === 1) assert.deepEqual([...request.subarray(4, 8)], [10, 0, 0, 7]);
      assert.deepEqual(looked, scheme === "socks5" ? ["db.test"] : []);
      proxy.write(new Uint8Array([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
      (await opening).close();
    }
  });

  it("reports a failed socks5: lookup as CONNECT_FAILED naming the host", async () => {
    const { connector } = createMemoryConnector();
    await assert.rejects(
      connectThroughProxy({ hostname: "nowhere.test", port: 1 }, {
        proxy: parseProxyUrl("socks5://proxy.test"),
        connector,
        lookup: () => Promise.reject(new Error("ENOTFOUND")),
      }),
      {
        name: "TransportError",
        code: "CONNECT_FAILED",
        message:
          "Cannot connect: cannot resolve nowhere.test for the SOCKS5 proxy socks5://proxy.test:1080 (use socks5h: to let the proxy resolve it)",
      },
    );
  });

  it("closes the connection and rethrows the proxy's refusal", async () => {
    const { connector, accept } = createMemoryConnector();
    const opening = connectThroughProxy({ hostname: "h", port: 80 }, {
      proxy: parseProxyUrl("http://proxy.test"),
      connector,
    });
    const proxy = await accept();
    await proxy.read();
    proxy.write(encode("HTTP/1.1 403 Forbidden\r\n\r\n"));
    await assert.rejects(opening, (error) => error instanceof ProxyError && error.status === 403);
    assert.equal(await proxy.read(), null, "the client side was closed");
  });

  it("reports a proxy that closes mid-handshake as UNEXPECTED_EOF", async () => {
    const { connector, accept } = createMemoryConnector();
    const opening = connectThroughProxy({ hostname: "h", port: 80 }, {
      proxy: parseProxyUrl("socks5h://proxy.test"),
      connector,
    });
    const proxy = await accept();
    await proxy.read();
    proxy.close();
    await assert.rejects(opening, { name: "ProxyError", code: "UNEXPECTED_EOF" });
  });

  it("refuses bytes before the TLS handshake, and a transport without startTls", async () => {
    for (const reply of ["HTTP/1.1 200 OK\r\n\r\nX", "HTTP/1.1 200 OK\r\n\r\n"]) {
      const { connector, accept } = createMemoryConnector();
      const opening = connectThroughProxy({ hostname: "h", port: 443, tls: {} }, {
        proxy: parseProxyUrl("http://proxy.test"),
        connector,
      });
      const proxy = await accept();
      await proxy.read();
      proxy.write(encode(reply));
      await assert.rejects(opening, (error: unknown) => {
        if (reply.endsWith("X")) {
          assert.ok(error instanceof ProxyError);
          assert.equal(error.code, "MALFORMED_REPLY");
        } else {
          assert.ok(error instanceof TransportError);
          assert.equal(error.code, "UNSUPPORTED");
        }
        return true;
      });
    }
  });

  it("aborts with the signal's reason, closing the connection", async () => {
    const { connector, accept } = createMemoryConnector();
    const controller = new AbortController();
    const opening = connectThroughProxy({ hostname: "h", port: 80, signal: controller.signal }, {
      proxy: parseProxyUrl("http://proxy.test"),
      connector,
    });
    const proxy = await accept();
    await proxy.read();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(opening, (error) => error === reason);
    assert.equal(await proxy.read(), null);
  });
});
