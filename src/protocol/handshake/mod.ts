/**
 * The RFC 6455 opening handshake, client side (§4.1, §4.2.2): the key,
 * the request, and the validation of the response with subprotocol and
 * extension negotiation; hybi-10 uses it with its own version header. The
 * header helpers every handshake shares, the legacy and server ones
 * included, are in `_headers.ts`.
 *
 * Imports: `../errors.ts`, `../protocol_version.ts`, `../encoding/`,
 * `../extensions/`, `../http/`.
 *
 * @module
 */

export * from "./handshake.ts";
