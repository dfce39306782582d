/**
 * HTTP/1.1 as the opening handshake needs it: the request and response
 * head parsers (RFC 9112, with a size limit, returning the leftover bytes),
 * `ws:`/`wss:` URLs with their `Host` and Basic authorization (RFC 6455 §3),
 * and cookies (RFC 6265). Nothing here knows a `Sec-WebSocket-*` header.
 *
 * Imports: `../errors.ts`, `../encoding/`.
 *
 * @module
 */

export * from "./cookie.ts";
export * from "./http_request.ts";
export * from "./http_response.ts";
export * from "./url.ts";
