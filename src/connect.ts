/**
 * Where a client connects and how: directly, to a unix socket, or through
 * a proxy. {@linkcode planRoute} decides synchronously, in the
 * constructor, so bad options throw there; {@linkcode openRoute} opens the
 * transport when the connection starts.
 *
 * @module
 */

import type { WebSocketUrl } from "./protocol/http/url.ts";
import { parseProxyUrl, proxyFromEnvironment, type ProxyUrl } from "./proxy/proxy_url.ts";
import { readEnvironment } from "./transport/select.ts";
import { connectThroughProxy } from "./transport/tunnel.ts";
import { type LookupAll, withHappyEyeballs } from "./transport/happy_eyeballs.ts";
import type { ConnectOptions, Connector, TlsOptions, Transport } from "./transport/types.ts";

/** The network options of `WebSocket` and `WebSocketStream`. */
export interface NetworkOptions {
  /**
   * A proxy for this connection: `http://[user:pass@]host:port` (CONNECT),
   * `https://…` (CONNECT over TLS to the proxy), `socks5://…` (names
   * resolved here) or `socks5h://…` (names resolved by the proxy). The
   * string `"env"` picks one from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`
   * and `NO_PROXY` (upper or lower case); `null` connects directly.
   * @default null: direct, whatever the environment says
   */
  readonly proxy?: string | URL | null;
  /** TLS settings for an `https:` proxy, checked against the proxy's name. */
  readonly proxyTls?: TlsOptions;
  /**
   * Connects to this unix domain socket instead of the URL's host and
   * port; the URL still gives the `Host` header and the path. A
   * `ws+unix:///path/to.sock:/request/path` URL sets it too.
   */
  readonly unix?: string;
  /** TLS settings for `wss:` URLs; verification is on by default. */
  readonly tls?: TlsOptions;
  /**
   * Resolves host names to every address, for Happy Eyeballs (RFC 8305:
   * IPv6 and IPv4 tried in turn, 250 ms apart, the first connection wins).
   * Used with the runtime's own connector only, not with `transport`.
   * @default `lookup` of `node:dns` with `all: true`
   */
  readonly lookup?: LookupAll;
}

/** How to reach the server, as decided by {@linkcode planRoute}. */
export type Route =
  | { readonly kind: "direct"; readonly target: Omit<ConnectOptions, "signal"> }
  | { readonly kind: "unix"; readonly target: Omit<ConnectOptions, "signal"> }
  | {
    readonly kind: "proxy";
    readonly target: Omit<ConnectOptions, "signal">;
    readonly proxy: ProxyUrl;
    readonly proxyTls: TlsOptions | undefined;
  };

const UNIX_SCHEME = /^(wss?)\+unix:/i;

/**
 * Splits a `ws+unix:` or `wss+unix:` URL (the `ws` package's convention:
 * `ws+unix:///path/to.sock:/request/path`) into a `ws:` URL for the
 * handshake (host `localhost`) and the socket path. Other URLs pass through.
 *
 * @example
 * ```ts
 * import { splitUnixUrl } from "./connect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitUnixUrl("ws+unix:///run/app.sock:/chat?x=1"), {
 *   url: "ws://localhost/chat?x=1",
 *   unix: "/run/app.sock",
 * });
 * assert.deepEqual(splitUnixUrl("ws://example.com/"), { url: "ws://example.com/", unix: undefined });
 * ```
 *
 * @param url The URL.
 * @returns The URL to use and the socket path, if any.
 * @throws {SyntaxError} For a `+unix` URL without a socket path.
 */
export function splitUnixUrl(url: string): { url: string; unix: string | undefined } {
  const match = UNIX_SCHEME.exec(url);
  if (match === null) return { url, unix: undefined };
  const rest = url.slice(match[0].length).replace(/^\/\//, "");
  // No host: the path starts at once. "ws+unix:///a.sock:/p" → "/a.sock:/p".
  const hostEnd = rest.indexOf("/");
  const body = hostEnd < 0 ? "" : rest.slice(hostEnd);
  const colon = body.indexOf(":");
  const socket = decodeURIComponent(colon < 0 ? body.replace(/[?#].*$/, "") : body.slice(0, colon));
  if (socket === "" || socket === "/") {
    throw new SyntaxError(
      `Cannot parse WebSocket URL: ${
        JSON.stringify(url)
      } has no socket path (ws+unix:///path/to.sock:/request)`,
    );
  }
  const request = colon < 0 ? "/" : body.slice(colon + 1) || "/";
  const resource = request.startsWith("/") ? request : `/${request}`;
  return { url: `${match[1]!.toLowerCase()}://localhost${resource}`, unix: socket };
}

/**
 * Decides the route: unix socket, proxy (explicit, or from the environment
 * with `proxy: "env"`), or direct.
 *
 * @param url The parsed URL.
 * @param options The network options.
 * @param env The environment, for `proxy: "env"`; read from the process by default.
 * @returns The route.
 * @throws {TypeError} For a bad `proxy`, `unix` or TLS option, naming it.
 */
export function planRoute(
  url: WebSocketUrl,
  options: NetworkOptions,
  env?: Readonly<Record<string, string | undefined>>,
): Route {
  const checked = options.tls === undefined ? {} : checkTls(options.tls, "tls");
  const tls = url.secure ? checked : undefined;
  if (options.lookup !== undefined && typeof options.lookup !== "function") {
    throw new TypeError("Cannot create WebSocket: lookup must be a function");
  }
  const base = { hostname: url.hostname, port: url.port, tls };
  if (options.unix !== undefined) {
    if (typeof options.unix !== "string" || options.unix === "") {
      throw new TypeError("Cannot create WebSocket: unix must be a non-empty socket path");
    }
    if (options.proxy !== undefined && options.proxy !== null) {
      throw new TypeError("Cannot create WebSocket: unix and proxy cannot be used together");
    }
    return { kind: "unix", target: { ...base, path: options.unix } };
  }
  let proxy = options.proxy ?? null;
  if (proxy === "env") proxy = proxyFromEnvironment(url, env ?? readEnvironment());
  if (proxy === null) return { kind: "direct", target: base };
  if (typeof proxy !== "string" && !(proxy instanceof URL)) {
    throw new TypeError(
      'Cannot create WebSocket: proxy must be a URL string, a URL, "env" or null',
    );
  }
  let parsed: ProxyUrl;
  try {
    parsed = parseProxyUrl(proxy);
  } catch (error) {
    throw new TypeError(
      `Cannot create WebSocket: proxy: ${
        (error as Error).message.replace(/^Cannot use proxy: /, "")
      }`,
    );
  }
  const proxyTls = options.proxyTls === undefined
    ? undefined
    : checkTls(options.proxyTls, "proxyTls");
  return { kind: "proxy", target: base, proxy: parsed, proxyTls };
}

/** PEM given as bytes is decoded (PEM is ASCII), so the transports see text only. */
function pemText<T>(value: T | Uint8Array): T | string {
  return value instanceof Uint8Array ? new TextDecoder().decode(value) : value;
}

function checkTls(given: TlsOptions, name: string): TlsOptions {
  if (typeof given !== "object" || given === null) {
    throw new TypeError(`Cannot create WebSocket: ${name} must be an object`);
  }
  const ca = given.ca as string | Uint8Array | readonly (string | Uint8Array)[] | undefined;
  const bytes = [given.cert, given.key, ...(Array.isArray(ca) ? ca : [ca])]
    .some((item) => (item as unknown) instanceof Uint8Array);
  const tls: TlsOptions = !bytes ? given : {
    ...given,
    ...(ca === undefined ? {} : {
      ca: Array.isArray(ca)
        ? ca.map((item) => pemText(item) as string)
        : pemText(ca as string | Uint8Array) as string,
    }),
    ...(given.cert === undefined ? {} : { cert: pemText(given.cert) }),
    ...(given.key === undefined ? {} : { key: pemText(given.key) }),
  };

  for (const key of ["cert", "key", "passphrase", "servername"] as const) {
    if (tls[key] !== undefined && typeof tls[key] !== "string") {
      throw new TypeError(`Cannot create WebSocket: ${name}.${key} must be a string`);
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError(`Cannot create WebSocket: ${name}.cert and ${name}.key go together`);
  }
  if (
    tls.minVersion !== undefined && tls.minVersion !== "TLSv1.2" && tls.minVersion !== "TLSv1.3"
  ) {
    throw new TypeError(
      `Cannot create WebSocket: ${name}.minVersion must be "TLSv1.2" or "TLSv1.3", got ${
        JSON.stringify(tls.minVersion)
      }`,
    );
  }
  return tls;
}

/**
 * Opens the transport of a route.
 *
 * @param route From {@linkcode planRoute}.
 * @param connector Opens TCP, TLS and unix connections.
 * @param signal Aborts the attempt, proxy hop included.
 * @param happyEyeballs Resolve names and race their addresses (RFC 8305)
 * before calling the connector; `false` hands names to the connector.
 * @returns The transport to the server.
 */
export function openRoute(
  route: Route,
  connector: Connector,
  signal: AbortSignal,
  happyEyeballs: { readonly lookup?: LookupAll | undefined } | false = false,
): Promise<Transport> {
  const connect = happyEyeballs === false ? connector : withHappyEyeballs(connector, happyEyeballs);
  if (route.kind !== "proxy") return connect({ ...route.target, signal });
  return connectThroughProxy({ ...route.target, signal }, {
    proxy: route.proxy,
    connector: connect,
    proxyTls: route.proxyTls,
  });
}
