/**
 * WebSocket extensions (RFC 6455 §9): the interface an extension
 * implements to take part in the handshake and in message encoding
 * (`Extension`, `NegotiatedExtension`), and the `Sec-WebSocket-Extensions`
 * grammar. Concrete extensions (permessage-deflate, RFC 7692) live here too.
 *
 * May import `../errors.ts`, `../encoding/` and `../frames/`; the layers
 * that apply extensions (`../messages/`, `../handshake/`) import it.
 *
 * @module
 */

export * from "./extension.ts";
