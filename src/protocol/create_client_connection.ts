/**
 * The client factory: picks the connection class for a protocol version
 * (see `./protocol_version.ts`), RFC 6455 framing (`./connection/`) or the
 * legacy text framing (`./legacy/`). It sits above both; they name versions
 * through `./protocol_version.ts`, which imports nothing.
 *
 * @module
 */

import {
  ClientConnection,
  type ClientConnectionOptions,
  type ProtocolConnection,
} from "./connection/connection.ts";
import type { HandshakeResult } from "./handshake/handshake.ts";
import { LegacyClientConnection } from "./legacy/legacy_connection.ts";
import type { WebSocketUrl } from "./http/url.ts";
import { isLegacyVersion, isProtocolVersion, type ProtocolVersion } from "./protocol_version.ts";

/**
 * What the API layer needs of a client connection of any version: the
 * driver's {@linkcode ProtocolConnection}, plus the URL and the handshake.
 */
export interface ClientProtocolConnection extends ProtocolConnection {
  /** The parsed URL. */
  readonly url: WebSocketUrl;
  /** The validated handshake response once open, else `null`. */
  readonly handshake: HandshakeResult | null;
  /** The protocol version spoken. */
  readonly protocolVersion: ProtocolVersion;
}

/**
 * Creates the client connection for `options.protocolVersion`: a
 * {@linkcode ClientConnection} for `"rfc6455"` (the default) and
 * `"hybi-10"`, a `LegacyClientConnection` for `"hybi-00"` and `"hixie-75"`.
 *
 * @example A hybi-00 client
 * ```ts
 * import { createClientConnection } from "./create_client_connection.ts";
 * import assert from "node:assert/strict";
 *
 * const client = createClientConnection("ws://example.com/", { protocolVersion: "hybi-00" });
 * const [request] = client.dataToSend();
 * assert.match(new TextDecoder().decode(request), /\r\nSec-WebSocket-Key1: /);
 * assert.equal(client.protocolVersion, "hybi-00");
 * ```
 *
 * @param url A `ws:`, `wss:`, `http:` or `https:` URL, or one parsed already.
 * @param options The version, handshake settings and limits.
 * @returns The connection, with its opening handshake queued.
 * @throws {RangeError} For an unknown version or invalid limits.
 * @throws {SyntaxError} For an invalid URL or subprotocol list.
 * @throws {TypeError} For invalid headers, or extensions with a legacy version.
 */
export function createClientConnection(
  url: string | URL | WebSocketUrl,
  options: ClientConnectionOptions = {},
): ClientProtocolConnection {
  const version = options.protocolVersion ?? "rfc6455";
  if (!isProtocolVersion(version)) {
    throw new RangeError(
      `Cannot create connection: unknown protocol version ${JSON.stringify(version)}`,
    );
  }
  if (!isLegacyVersion(version)) return new ClientConnection(url, options);
  const { extensions, ...rest } = options;
  if (extensions !== undefined && extensions.length > 0) {
    throw new TypeError(`Cannot create connection: ${version} has no extensions`);
  }
  return new LegacyClientConnection(url, { ...rest, protocolVersion: version });
}
