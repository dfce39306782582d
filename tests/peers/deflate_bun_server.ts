/**
 * A permessage-deflate peer on `Bun.serve` with `perMessageDeflate: true`
 * (uWebSockets underneath): `bun tests/peers/deflate_bun_server.ts`.
 * Messages are echoed as they came, compressed (`send(data, true)`), except
 * the text `big:N`, answered with N bytes of compressible text, and the text
 * `plain:TEXT`, answered with TEXT uncompressed. The first stdout line is
 * `{"type":"listening","ports":{"bun":N},"tlsPorts":{"bun":N}}`; the process
 * exits when its stdin ends.
 *
 * Only the part of Bun used here is declared.
 *
 * @module
 */

import process from "node:process";

interface BunSocket {
  send(data: string | Uint8Array, compress?: boolean): number;
}

interface BunServeOptions {
  port: number;
  hostname: string;
  tls?: { cert: string; key: string };
  fetch(request: Request, server: { upgrade(request: Request): boolean }): Response | undefined;
  websocket: {
    perMessageDeflate: boolean;
    maxPayloadLength: number;
    message(socket: BunSocket, message: string | Uint8Array): void;
  };
}

declare const Bun: { serve(options: BunServeOptions): { readonly port: number } };

function compressible(length: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${words[(i * 7) % 8]} ${i % 100} `;
  return text.slice(0, length);
}

function serve(tls?: { cert: string; key: string }): number {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    ...(tls === undefined ? {} : { tls }),
    fetch(request, server) {
      if (server.upgrade(request)) return undefined;
      return new Response("upgrade required", { status: 426 });
    },
    websocket: {
      perMessageDeflate: true,
      maxPayloadLength: 64 << 20,
      message(socket, message) {
        if (typeof message === "string") {
          const big = /^big:(\d+)$/.exec(message);
          if (big) return void socket.send(compressible(Number(big[1])), true);
          if (message.startsWith("plain:")) return void socket.send(message.slice(6), false);
        }
        socket.send(message, true);
      },
    },
  }).port;
}

const cert = process.env.PEER_TLS_CERT;
const key = process.env.PEER_TLS_KEY;
const ports = { bun: serve() };
const tlsPorts = cert && key ? { bun: serve({ cert, key }) } : {};
process.stdout.write(`${JSON.stringify({ type: "listening", ports, tlsPorts })}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
