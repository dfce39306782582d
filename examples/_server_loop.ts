/**
 * The loop that drives a {@linkcode ServerConnection} over a byte stream,
 * shared by the three server examples. It is the loop of
 * `src/protocol/mod.ts`'s guide, server side:
 *
 * 1. read a chunk → `receiveData()`, or `receiveEof()` at end of stream;
 * 2. write `dataToSend()` (an empty chunk means half-close);
 * 3. hand the events to the handler, which may `accept()`, `reject()` or send;
 *    write again; repeat while the handler's calls report more events;
 * 4. once `closeExpected()`, give the client `closeTimeout` ms to end the
 *    stream, then close it.
 *
 * Each runtime's example only adapts its socket to {@linkcode ServerStream}.
 *
 * @module
 */

import {
  ServerConnection,
  type ServerConnectionEvent,
  type ServerConnectionOptions,
} from "../src/protocol/mod.ts";

/** What the loop needs of a socket. */
export interface ServerStream {
  /** The next chunk, or `null` at end of stream (or when the socket failed). */
  read(): Promise<Uint8Array | null>;
  /** Writes bytes, in order. */
  write(chunk: Uint8Array): Promise<void>;
  /** Sends end of stream (TCP FIN) after what was written; reading goes on. */
  closeWrite(): Promise<void>;
  /** Closes both directions now. */
  close(): void;
}

/** Reacts to one event; may call `accept()`, `reject()` or a `send*()` method. */
export type ServerHandler = (connection: ServerConnection, event: ServerConnectionEvent) => void;

/** Options of {@linkcode serveConnection}. */
export interface ServeOptions extends ServerConnectionOptions {
  /** Milliseconds the client has to end the stream after the close. @default 5000 */
  readonly closeTimeout?: number;
}

/**
 * Runs one connection until its `close` event.
 *
 * @param stream The client's byte stream.
 * @param handler Called with each event, in order.
 * @param options Connection settings and the close timeout.
 * @returns When the connection is over and the stream closed.
 */
export async function serveConnection(
  stream: ServerStream,
  handler: ServerHandler,
  options: ServeOptions = {},
): Promise<void> {
  const connection = new ServerConnection(options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;

  async function flush(): Promise<void> {
    for (const chunk of connection.dataToSend()) {
      if (chunk.length === 0) await stream.closeWrite();
      else await stream.write(chunk);
    }
  }

  try {
    while (!done) {
      const chunk = await stream.read().catch(() => null);
      if (chunk === null) connection.receiveEof();
      else connection.receiveData(chunk);
      await flush().catch(() => connection.receiveEof());
      // A handler's call can report more events (accept() opens the connection
      // and reads the frames that came early): handle until there are none.
      let events = connection.eventsReceived();
      while (events.length > 0) {
        for (const event of events) {
          handler(connection, event);
          if (event.type === "close") done = true;
        }
        await flush().catch(() => connection.receiveEof());
        events = connection.eventsReceived();
      }
      if (!done && connection.closeExpected() && timer === undefined) {
        timer = setTimeout(() => stream.close(), options.closeTimeout ?? 5000);
      }
    }
  } finally {
    clearTimeout(timer);
    stream.close();
  }
}

/**
 * The handler of an echo server: accepts every client and sends each
 * message back, text as text and bytes as bytes.
 *
 * @param connection The connection.
 * @param event The event.
 */
export function echo(connection: ServerConnection, event: ServerConnectionEvent): void {
  if (event.type === "request") {
    connection.accept();
  } else if (event.type === "message" && connection.state === "open") {
    // Messages are reported after the fact: check the connection is still open.
    if (typeof event.data === "string") connection.sendText(event.data);
    else connection.sendBinary(event.data);
  }
}
