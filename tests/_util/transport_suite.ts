/**
 * The real-socket cases every runtime adapter must pass, against loopback
 * servers from `./tcp_server.ts`. Each adapter's test file calls
 * {@linkcode transportSuite} inside its own `describe`, skipped on the
 * other runtimes.
 *
 * @module
 */

import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as net from "node:net";
import { type Connector, type Transport, TransportError } from "../../src/transport/types.ts";
import { getTestCertificate } from "./tls_cert.ts";
import { delay, echo, flood, idle, matchesPattern, pattern, startServer } from "./tcp_server.ts";

/** How to run the suite. */
export interface TransportSuiteOptions {
  /** The adapter under test. */
  readonly connector: Connector;
  /** A reason to skip every case (not this adapter's runtime), or `false`. */
  readonly skip: string | false;
  /** Whether `dangerouslyDisableCertificateVerification` works (else it must throw UNSUPPORTED). */
  readonly insecureTls: boolean;
}

/** Whether the running runtime is Deno, Bun or Node. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** Reads until `length` bytes have arrived (or end of stream) and returns them joined. */
export async function readBytes(
  transport: Transport,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < length) {
    const chunk = await transport.read();
    if (chunk === null) break;
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  return concat(chunks, total);
}

/** Reads until end of stream and returns everything joined. */
export function readToEnd(transport: Transport): Promise<Uint8Array<ArrayBuffer>> {
  return readBytes(transport, Infinity);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const encode = (value: string) => new TextEncoder().encode(value);

function assertTransportError(code: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof TransportError, `expected TransportError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, /^Cannot connect to /);
    return true;
  };
}

/** Resolves when the server side of a connection sees end of stream (or closes). */
function peerEnded(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readableEnded || socket.destroyed) return resolve();
    socket.once("end", () => resolve());
    socket.once("close", () => resolve());
    socket.resume();
  });
}

/**
 * Writes `total` bytes of {@linkcode pattern} through two buffers only, each
 * rewritten with the next bytes as soon as `onWritten` reports it written,
 * between small chunks (coalesced by the queueing adapters) and whole large
 * ones; returns what the echo server sent back. If an adapter reported a
 * chunk before the runtime was done with it, the rewrite would show on the
 * wire.
 */
async function writeThroughReusedBuffers(
  transport: Transport,
  total: number,
): Promise<{ echoed: Uint8Array; reports: number; writes: number }> {
  const large = 192 * 1024;
  const free: Uint8Array<ArrayBuffer>[] = [new Uint8Array(large), new Uint8Array(large)];
  let wake: (() => void) | null = null;
  let reports = 0;
  let writes = 0;
  const reading = readBytes(transport, total);
  for (let offset = 0, n = 0; offset < total; n++) {
    // Every third chunk is small: 1 to 300 bytes.
    const size = Math.min(total - offset, n % 3 === 2 ? 1 + (n % 300) : large);
    while (free.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const buffer = free.pop()!;
    const chunk = buffer.subarray(0, size);
    chunk.set(pattern(size, offset));
    let reported = false;
    writes++;
    transport.write(chunk, () => {
      assert.equal(reported, false, "onWritten called twice");
      reported = true;
      reports++;
      buffer.fill(0xee); // what a reuse would do to bytes still being written
      free.push(buffer);
      wake?.();
      wake = null;
    });
    offset += size;
  }
  const echoed = await reading;
  await transport.drained();
  return { echoed, reports, writes };
}

/**
 * Defines the shared cases with `it()`. Call inside a `describe`.
 *
 * @param options The connector and whether to skip.
 */
export function transportSuite(options: TransportSuiteOptions): void {
  const { connector, skip } = options;

  it("round-trips bytes through an echo server", { skip }, async () => {
    const server = await startServer(echo);
    try {
      const transport = await connector({ hostname: server.hostname, port: server.port });
      assert.equal(transport.tls, false);
      assert.deepEqual(transport.remoteAddress, { hostname: "127.0.0.1", port: server.port });
      assert.equal(transport.write(encode("hello")), true);
      assert.equal(text(await readBytes(transport, 5)), "hello");
      transport.close();
      await transport.closed;
      assert.equal(await transport.read(), null);
    } finally {
      await server.close();
    }
  });

  it("delivers an 8 MiB write intact and in order", { skip }, async () => {
    const server = await startServer(echo);
    try {
      const transport = await connector({ hostname: server.hostname, port: server.port });
      const size = 8 * 1024 * 1024;
      const reading = readBytes(transport, size);
      assert.equal(transport.write(pattern(size)), false);
      assert.ok(transport.bufferedAmount > 0);
      await transport.drained();
      assert.equal(transport.bufferedAmount, 0);
      const echoed = await reading;
      assert.equal(echoed.byteLength, size);
      assert.ok(matchesPattern(echoed), "bytes reordered or changed");
      transport.close();
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it(
    "calls write()'s onWritten once per chunk, only once its bytes are written (a reused buffer leaves the wire intact)",
    { skip },
    async () => {
      const server = await startServer(echo);
      try {
        const transport = await connector({ hostname: server.hostname, port: server.port });
        const total = 12 * 1024 * 1024;
        const { echoed, reports, writes } = await writeThroughReusedBuffers(transport, total);
        assert.equal(echoed.byteLength, total);
        assert.ok(matchesPattern(echoed), "bytes changed after onWritten");
        assert.equal(reports, writes);
        transport.close();
        await transport.closed;
      } finally {
        await server.close();
      }
    },
  );

  it("keeps many small writes in order", { skip }, async () => {
    const server = await startServer(echo);
    try {
      const transport = await connector({ hostname: server.hostname, port: server.port });
      const size = 200_000;
      const reading = readBytes(transport, size);
      for (let offset = 0; offset < size; offset += 100) transport.write(pattern(100, offset));
      assert.ok(matchesPattern(await reading));
      transport.close();
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it(
    "write() returns false and drained() waits while the peer does not read",
    { skip },
    async () => {
      const server = await startServer(idle);
      try {
        const transport = await connector({ hostname: server.hostname, port: server.port });
        const peer = await server.connection();
        assert.equal(transport.write(new Uint8Array(16 * 1024 * 1024)), false);
        let drained = false;
        const draining = transport.drained().then(() => (drained = true));
        await delay(100);
        assert.equal(drained, false);
        assert.ok(transport.bufferedAmount > 0);
        peer.resume(); // Reads and discards.
        await draining;
        assert.equal(transport.bufferedAmount, 0);
        transport.close();
        await transport.closed;
      } finally {
        await server.close();
      }
    },
  );

  it("not reading stalls the peer's writes, and nothing is lost", { skip }, async () => {
    const server = await startServer(idle);
    try {
      const transport = await connector({ hostname: server.hostname, port: server.port });
      const peer = await server.connection();
      const total = 48 * 1024 * 1024;
      const writer = flood(peer, total);
      await delay(300);
      // Kernel buffers on loopback take a few MiB; an adapter that kept
      // reading would have taken all 48.
      assert.ok(writer.written() < 16 * 1024 * 1024, `peer wrote ${writer.written()} bytes`);
      void writer.done.then(() => peer.end());
      let received = 0;
      for (let chunk = await transport.read(); chunk !== null; chunk = await transport.read()) {
        if (!matchesPattern(chunk, received)) assert.fail(`bytes changed near offset ${received}`);
        received += chunk.byteLength;
      }
      assert.equal(received, total);
      await writer.done;
      transport.close();
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it("closeWrite() sends end of stream and the reply can still be read", { skip }, async () => {
    const server = await startServer((socket) => {
      let count = 0;
      socket.on("data", (data: Uint8Array) => (count += data.byteLength));
      socket.on("end", () => socket.end(`got ${count} bytes`));
    });
    try {
      const transport = await connector({ hostname: server.hostname, port: server.port });
      transport.write(encode("abc"));
      transport.closeWrite();
      assert.equal(transport.write(encode("dropped")), true);
      assert.equal(text(await readToEnd(transport)), "got 3 bytes");
      // Both directions ended: the adapter releases the socket by itself.
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it("close() settles a pending read with null and releases the socket", { skip }, async () => {
    const server = await startServer(idle);
    try {
      const transport = await connector({ hostname: server.hostname, port: server.port });
      const peer = await server.connection();
      const pending = transport.read();
      transport.write(encode("x"));
      transport.close();
      transport.close();
      assert.equal(await pending, null);
      await transport.closed;
      await transport.drained();
      assert.equal(transport.write(encode("late")), true);
      await peerEnded(peer);
    } finally {
      await server.close();
    }
  });

  it(
    "reports a reset by the peer as CONNECTION_LOST after the data before it",
    { skip },
    async () => {
      const server = await startServer(idle);
      try {
        const transport = await connector({ hostname: server.hostname, port: server.port });
        const peer = await server.connection();
        peer.write("last words");
        assert.equal(text(await readBytes(transport, 10)), "last words");
        peer.resetAndDestroy();
        await assert.rejects(transport.read(), (error: unknown) => {
          assert.ok(error instanceof TransportError);
          assert.equal(error.code, "CONNECTION_LOST");
          assert.match(error.message, /^Cannot read: /);
          return true;
        });
        transport.close();
        await transport.closed;
      } finally {
        await server.close();
      }
    },
  );

  it("rejects with CONNECT_FAILED when the connection is refused", { skip }, async () => {
    const server = await startServer(idle);
    await server.close();
    await assert.rejects(
      connector({ hostname: server.hostname, port: server.port }),
      assertTransportError("CONNECT_FAILED"),
    );
  });

  it("rejects with the signal's reason when aborted before connecting", { skip }, async () => {
    const reason = new Error("stop");
    await assert.rejects(
      connector({ hostname: "127.0.0.1", port: 1, signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
  });

  it(
    "rejects with the signal's reason when aborted during the TLS handshake",
    { skip },
    async () => {
      const server = await startServer(idle); // Never answers the ClientHello.
      try {
        const controller = new AbortController();
        const reason = new Error("stop");
        const connecting = connector({
          hostname: server.hostname,
          port: server.port,
          tls: { ca: (await getTestCertificate()).ca },
          signal: controller.signal,
        });
        const peer = await server.connection();
        controller.abort(reason);
        await assert.rejects(connecting, (error) => error === reason);
        await peerEnded(peer);
      } finally {
        await server.close();
      }
    },
  );

  it("connects over a unix socket", { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "wsport-unix-"));
    const path = join(dir, "s.sock");
    const server = await startServer(echo, { path });
    try {
      const transport = await connector({ hostname: "localhost", port: 0, path });
      transport.write(encode("over unix"));
      assert.equal(text(await readBytes(transport, 9)), "over unix");
      transport.close();
      await transport.closed;
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("speaks TLS when the CA is trusted", { skip }, async () => {
    const certificate = await getTestCertificate();
    const server = await startServer(echo, { tls: certificate });
    try {
      const transport = await connector({
        hostname: server.hostname,
        port: server.port,
        tls: { ca: [certificate.ca] },
      });
      assert.equal(transport.tls, true);
      transport.write(encode("secret"));
      assert.equal(text(await readBytes(transport, 6)), "secret");
      transport.closeWrite();
      assert.equal(await transport.read(), null);
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it(
    "calls write()'s onWritten only once its bytes are written over TLS too",
    { skip },
    async () => {
      const certificate = await getTestCertificate();
      const server = await startServer(echo, { tls: certificate });
      try {
        const transport = await connector({
          hostname: server.hostname,
          port: server.port,
          tls: { ca: [certificate.ca] },
        });
        const total = 4 * 1024 * 1024;
        const { echoed, reports, writes } = await writeThroughReusedBuffers(transport, total);
        assert.ok(matchesPattern(echoed), "bytes changed after onWritten");
        assert.equal(reports, writes);
        transport.close();
        await transport.closed;
      } finally {
        await server.close();
      }
    },
  );

  it("verifies TLS against servername rather than the host connected to", { skip }, async () => {
    const certificate = await getTestCertificate();
    const server = await startServer(echo, { tls: certificate });
    try {
      const transport = await connector({
        hostname: server.hostname,
        port: server.port,
        tls: { ca: certificate.ca, servername: "localhost" },
      });
      transport.write(encode("sni"));
      assert.equal(text(await readBytes(transport, 3)), "sni");
      transport.close();
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it("reads a TLS peer that closes without close_notify as end of stream", { skip }, async () => {
    const certificate = await getTestCertificate();
    const server = await startServer((socket) => {
      socket.write("bye", () => setTimeout(() => socket.destroy(), 20));
    }, { tls: certificate });
    try {
      const transport = await connector({
        hostname: server.hostname,
        port: server.port,
        tls: { ca: certificate.ca },
      });
      assert.equal(text(await readToEnd(transport)), "bye");
      transport.close();
      await transport.closed;
    } finally {
      await server.close();
    }
  });

  it("rejects with TLS_FAILED when the CA is not trusted", { skip }, async () => {
    const server = await startServer(echo, { tls: await getTestCertificate() });
    try {
      await assert.rejects(
        connector({ hostname: server.hostname, port: server.port, tls: {} }),
        assertTransportError("TLS_FAILED"),
      );
    } finally {
      await server.close();
    }
  });

  it(
    "rejects with TLS_FAILED when the certificate does not match servername",
    { skip },
    async () => {
      const certificate = await getTestCertificate();
      const server = await startServer(echo, { tls: certificate });
      try {
        await assert.rejects(
          connector({
            hostname: server.hostname,
            port: server.port,
            tls: { ca: certificate.ca, servername: "example.com" },
          }),
          assertTransportError("TLS_FAILED"),
        );
      } finally {
        await server.close();
      }
    },
  );

  it(
    options.insecureTls
      ? "connects without verification when dangerouslyDisableCertificateVerification is set"
      : "refuses dangerouslyDisableCertificateVerification with UNSUPPORTED",
    { skip },
    async () => {
      const server = await startServer(echo, { tls: await getTestCertificate() });
      try {
        const connecting = connector({
          hostname: server.hostname,
          port: server.port,
          tls: { servername: "example.com", dangerouslyDisableCertificateVerification: true },
        });
        if (!options.insecureTls) {
          await assert.rejects(connecting, (error: unknown) => {
            assert.ok(error instanceof TransportError);
            assert.equal(error.code, "UNSUPPORTED");
            return true;
          });
          return;
        }
        const transport = await connecting;
        transport.write(encode("unsafe"));
        assert.equal(text(await readBytes(transport, 6)), "unsafe");
        transport.close();
        await transport.closed;
      } finally {
        await server.close();
      }
    },
  );
}
