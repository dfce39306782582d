/**
 * The four protocol versions the core speaks, as the seed library
 * (Perl's Protocol::WebSocket) does. (The client factory that picks the
 * connection class for one is `./create_client_connection.ts`; this module
 * imports nothing, so every layer may name a version.)
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
