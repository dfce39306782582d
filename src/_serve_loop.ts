/**
 * The loop that drives one {@linkcode ServerConnection} over a transport
 * until it closes, shared by the in-memory echo server of `./testing` and
 * the test suite's scripted servers. (Private: tested through them.)
 *
 * @module
 */

import {
  ServerConnection,
  type ServerConnectionEvent,
} from "./protocol/server/server_connection.ts";
import type { Transport } from "./transport/types.ts";

/** One connection being served. */
export interface ServedConnection {
  /** The protocol state machine. */
  readonly connection: ServerConnection;
  /** The transport it runs over. */
  readonly transport: Transport;
  /** Writes what the connection has to send (an empty chunk half-closes). */
  flush(): void;
}

/**
 * Reads the transport into a new server connection, hands every event to
 * `onEvent` (which answers through the connection), writes what the
 * connection has to send after each batch, and closes the transport once the
 * connection is closed.
 *
 * @param transport The accepted transport.
 * @param onEvent Called for each event, with the connection being served.
 * @returns When the connection is over and the transport closed.
 */
export async function serveConnection(
  transport: Transport,
  onEvent: (event: ServerConnectionEvent, served: ServedConnection) => void,
): Promise<void> {
  const connection = new ServerConnection();
  const served: ServedConnection = {
    connection,
    transport,
    flush() {
      for (const chunk of connection.dataToSend()) {
        if (chunk.length === 0) transport.closeWrite();
        else transport.write(chunk);
      }
    },
  };
  let closed = false;
  while (!closed) {
    const chunk = await transport.read().catch(() => null);
    if (chunk === null) connection.receiveEof();
    else connection.receiveData(chunk);
    // accept() opens the connection and may report frames that came early.
    for (
      let events = connection.eventsReceived();
      events.length > 0;
      events = connection.eventsReceived()
    ) {
      for (const event of events) {
        if (event.type === "close") closed = true;
        else onEvent(event, served);
      }
      served.flush();
    }
    served.flush();
    if (connection.state === "closed") closed = true;
  }
  transport.close();
}
