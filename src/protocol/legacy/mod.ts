/**
 * The pre-RFC versions with the 0x00 … 0xFF text framing, `"hybi-00"`
 * (= hixie-76) and `"hixie-75"`: their frames (`legacy_frame.ts`), their
 * handshakes with the Key1/Key2 MD5 challenge (`legacy_handshake.ts`), and
 * their connections, built on the plumbing of `../connection/`
 * (`legacy_connection.ts`). hybi-10 frames as RFC 6455 and is not here.
 *
 * Imports: `../errors.ts`, `../protocol_version.ts`, `../encoding/`,
 * `../frames/`, `../extensions/`, `../messages/`, `../http/`,
 * `../handshake/`, `../connection/`.
 *
 * @module
 */

export * from "./legacy_connection.ts";
export * from "./legacy_frame.ts";
export * from "./legacy_handshake.ts";
