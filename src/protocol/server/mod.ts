/**
 * The server side, all four versions: reading a client's opening
 * handshake request and answering or refusing it (`server_handshake.ts`),
 * and `ServerConnection`, which picks the framing once the request is
 * accepted (`server_connection.ts`). The top layer.
 *
 * Imports: `../errors.ts`, `../protocol_version.ts`, `../encoding/`,
 * `../frames/`, `../extensions/`, `../messages/`, `../http/`,
 * `../handshake/`, `../connection/`, `../legacy/`.
 *
 * @module
 */

export * from "./server_connection.ts";
export * from "./server_handshake.ts";
