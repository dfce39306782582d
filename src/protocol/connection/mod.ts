/**
 * The RFC 6455 connection (§5-§7) for `"rfc6455"` and `"hybi-10"`:
 * `Connection` (after the handshake, either side) and `ClientConnection`
 * (with it), the state and its predicates (`state.ts`), the events a driver
 * drains (`events.ts`), and the plumbing every connection class shares,
 * legacy and server ones included (`_endpoint.ts`: queues, end of stream,
 * one close event, limits, reading the response head).
 *
 * Imports: `../errors.ts`, `../protocol_version.ts`, `../encoding/`,
 * `../frames/`, `../extensions/`, `../messages/`, `../http/`,
 * `../handshake/`; never `../legacy/` or `../server/`, which build on it.
 *
 * @module
 */

export * from "./connection.ts";
export * from "./events.ts";
export * from "./state.ts";
