/**
 * WebSocket extensions (RFC 6455 §9): the interface an extension
 * implements to take part in the handshake and in message encoding
 * (`Extension`, `NegotiatedExtension`), and the `Sec-WebSocket-Extensions`
 * grammar. Concrete extensions (permessage-deflate, RFC 7692) live here too;
 * the layers that apply them (`../messages/`, `../handshake/`) import this.
 *
 * Imports: `../errors.ts`, `../encoding/`, `../frames/`.
 *
 * @module
 */

export * from "./extension.ts";
export * from "./permessage_deflate.ts";
