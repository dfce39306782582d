/**
 * Proxy handshakes, sans I/O: HTTP `CONNECT` (RFC 9110 §9.3.6) and SOCKS5
 * (RFC 1928, RFC 1929), proxy URLs and the choice of a proxy from the
 * environment. Each handshake is an object fed with the proxy's bytes that
 * gives back the bytes to write, like the WebSocket core; the client's
 * `proxy` option drives them over a transport.
 *
 * @module
 */

export { ProxyError, type ProxyErrorCode } from "./errors.ts";
export { HttpConnectHandshake, type HttpConnectOptions } from "./http_connect.ts";
export { SOCKS5_REPLIES, Socks5Handshake, type Socks5Options } from "./socks5.ts";
export {
  type Environment,
  matchesNoProxy,
  parseProxyUrl,
  proxyFromEnvironment,
  type ProxyProtocol,
  type ProxyTargetAddress,
  type ProxyUrl,
} from "./proxy_url.ts";
