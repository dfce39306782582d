/**
 * The four protocol versions the core speaks, as the seed library
 * (Perl's Protocol::WebSocket) does, and the client factory that picks the
 * connection class for one.
 *
 * | Version      | Specification                                   | Handshake                              | Framing                |
 * | ------------ | ----------------------------------------------- | -------------------------------------- | ---------------------- |
 * | `"rfc6455"`  | RFC 6455 (draft-ietf-hybi-17)                   | `Sec-WebSocket-Key`, Version 13        | RFC 6455               |
 * | `"hybi-10"`  | draft-ietf-hybi-thewebsocketprotocol-10 (to -12) | `Sec-WebSocket-Key`, Version 8, `Sec-WebSocket-Origin` | RFC 6455 |
 * | `"hybi-00"`  | draft-ietf-hybi-thewebsocketprotocol-00 (= draft-hixie-76) | `Sec-WebSocket-Key1`/`Key2` + 8 bytes, 16-byte MD5 answer | 0x00 text 0xFF, close 0xFF 0x00 |
 * | `"hixie-75"` | draft-hixie-thewebsocketprotocol-75             | no key; `WebSocket-Origin`/`Location`  | 0x00 text 0xFF, no close frame |
 *
 * @module
 */

import {
  ClientConnection,
  type ClientConnectionOptions,
  type ProtocolConnection,
} from "./connection.ts";
import type { HandshakeResult } from "./handshake.ts";
import { LegacyClientConnection } from "./legacy_connection.ts";
import type { WebSocketUrl } from "./url.ts";

/** Every protocol version, newest first. */
export const PROTOCOL_VERSIONS = ["rfc6455", "hybi-10", "hybi-00", "hixie-75"] as const;

/** A protocol version (see the module doc). */
export type ProtocolVersion = typeof PROTOCOL_VERSIONS[number];

/** The versions with RFC 6455 framing. */
export type HybiVersion = "rfc6455" | "hybi-10";

/** The versions with the 0x00 … 0xFF text framing. */
export type LegacyVersion = "hybi-00" | "hixie-75";

/**
 * Whether `value` names a protocol version.
 *
 * @param value Anything.
 * @returns `true` for one of {@linkcode PROTOCOL_VERSIONS}.
 */
export function isProtocolVersion(value: unknown): value is ProtocolVersion {
  return (PROTOCOL_VERSIONS as readonly unknown[]).includes(value);
}

/**
 * Whether `version` uses the legacy text framing.
 *
 * @param version A protocol version.
 * @returns `true` for `"hybi-00"` and `"hixie-75"`.
 */
export function isLegacyVersion(version: ProtocolVersion): version is LegacyVersion {
  return version === "hybi-00" || version === "hixie-75";
}

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
 * import { createClientConnection } from "./protocol_version.ts";
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
