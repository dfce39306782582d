/**
 * An in-memory WebSocket server whose every connection follows a script:
 * be down (the connector fails with `CONNECT_FAILED`), refuse the handshake
 * with a status and headers, or accept and echo, maybe closing with a code
 * at once. It runs the library's own `ServerConnection`, so the bytes are
 * real RFC 6455; the real-server tests are in `tests/integration/`.
 *
 * @module
 */

import { serveConnection, type ServedConnection } from "../../src/_serve_loop.ts";
import { concatBytes } from "../../src/protocol/encoding/_bytes.ts";
import { createMemoryConnector } from "../../src/transport/memory.ts";
import { type Connector, type Transport, TransportError } from "../../src/transport/types.ts";

/** What one connection attempt meets. */
export type Behaviour =
  | { readonly type: "down" }
  | { readonly type: "reject"; readonly status: number; readonly headers?: [string, string][] }
  | {
    readonly type: "accept";
    readonly closeWith?: number;
    /** A text sent at once, in the same write as the 101 response. */
    readonly greet?: string;
  };

/** A running scripted server. */
export interface ScriptedServer {
  readonly connector: Connector;
  /** Attempts seen (connector calls). */
  readonly attempts: number;
  /** The text messages received, over every connection, in order. */
  readonly received: string[];
  /** The request headers of each handshake, in order. */
  readonly requests: Record<string, string>[];
  /** Drops the open connections (TCP reset, no close frame). */
  dropAll(): void;
  /** Starts the closing handshake on the open connections. */
  closeAll(code: number, reason?: string): void;
  /** How many connections are open. */
  readonly open: number;
}

/**
 * Starts the server.
 *
 * @param script The behaviour of attempt `n` (from 0).
 * @returns The server.
 */
export function startScriptedServer(script: (attempt: number) => Behaviour): ScriptedServer {
  const memory = createMemoryConnector();
  let attempts = 0;
  const received: string[] = [];
  const requests: Record<string, string>[] = [];
  const live = new Set<ServedConnection>();
  const behaviours: Behaviour[] = [];

  const connector: Connector = (options) => {
    const behaviour = script(attempts++);
    if (behaviour.type === "down") {
      return Promise.reject(
        new TransportError("CONNECT_FAILED", "Cannot connect: refused (scripted)"),
      );
    }
    behaviours.push(behaviour);
    return memory.connector(options);
  };

  async function serve(): Promise<void> {
    while (true) {
      const transport = await memory.accept();
      void run(transport, behaviours.shift()!);
    }
  }

  async function run(transport: Transport, behaviour: Behaviour): Promise<void> {
    let entry: ServedConnection | null = null;
    await serveConnection(transport, (event, served) => {
      const { connection } = served;
      if (event.type === "request") {
        requests.push(Object.fromEntries(event.request.headers));
        if (behaviour.type === "reject") {
          connection.reject(behaviour.status, { headers: behaviour.headers ?? [] });
        } else {
          connection.accept();
          entry = served;
          live.add(served);
          if (behaviour.type === "accept" && behaviour.greet !== undefined) {
            connection.sendText(behaviour.greet);
            transport.write(concatBytes(connection.dataToSend()));
          }
          if (behaviour.type === "accept" && behaviour.closeWith !== undefined) {
            connection.sendClose(behaviour.closeWith, "scripted");
          }
        }
      } else if (event.type === "message" && connection.state === "open") {
        if (typeof event.data === "string") {
          received.push(event.data);
          connection.sendText(event.data);
        } else connection.sendBinary(event.data);
      }
    });
    if (entry !== null) live.delete(entry);
  }
  void serve();

  return {
    connector,
    get attempts() {
      return attempts;
    },
    received,
    requests,
    get open() {
      return live.size;
    },
    dropAll() {
      for (const entry of live) entry.transport.close();
      live.clear();
    },
    closeAll(code, reason = "") {
      for (const entry of live) {
        entry.connection.sendClose(code, reason);
        entry.flush();
      }
    },
  };
}
