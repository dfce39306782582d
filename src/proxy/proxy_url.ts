/**
 * Proxy URLs (`http:`, `https:`, `socks5:`, `socks5h:`) and the choice of a
 * proxy from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
 * `NO_PROXY`, upper or lower case), as curl reads them. Pure: the caller
 * passes the environment in.
 *
 * @module
 */

/** The kinds of proxy. */
export type ProxyProtocol = "http" | "https" | "socks5" | "socks5h";

/** A parsed proxy URL. */
export interface ProxyUrl {
  /** `http` (CONNECT over TCP), `https` (CONNECT over TLS), `socks5` (names resolved here), `socks5h` (names resolved by the proxy). */
  readonly protocol: ProxyProtocol;
  /** Host name or IP address of the proxy (IPv6 without brackets). */
  readonly hostname: string;
  /** Port: explicit, else 80 (`http`), 443 (`https`) or 1080 (SOCKS). */
  readonly port: number;
  /** The userinfo username, percent-decoded ("" when none). */
  readonly username: string;
  /** The userinfo password, percent-decoded ("" when none). */
  readonly password: string;
  /** The URL without credentials, for messages. */
  readonly display: string;
}

const DEFAULT_PORTS: Readonly<Record<ProxyProtocol, number>> = {
  http: 80,
  https: 443,
  socks5: 1080,
  socks5h: 1080,
};

/**
 * Parses a proxy URL. A value without a scheme (`proxy.example:3128`, as
 * environment variables often hold) is an `http:` proxy; `socks:` is
 * `socks5:`.
 *
 * @example An authenticated HTTP proxy
 * ```ts
 * import { parseProxyUrl } from "./proxy_url.ts";
 * import assert from "node:assert/strict";
 *
 * const proxy = parseProxyUrl("http://me:s%40cret@proxy.example:3128");
 * assert.equal(proxy.protocol, "http");
 * assert.equal(proxy.port, 3128);
 * assert.equal(proxy.password, "s@cret");
 * assert.equal(proxy.display, "http://proxy.example:3128");
 * assert.equal(parseProxyUrl("socks5h://[::1]").port, 1080);
 * ```
 *
 * @param input The URL.
 * @returns The parsed proxy.
 * @throws {TypeError} "Cannot use proxy: …" for an invalid URL, another scheme, or a path.
 */
export function parseProxyUrl(input: string | URL): ProxyUrl {
  let text = String(input).trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Cannot use proxy: ${JSON.stringify(String(input))} is not a valid URL`);
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const protocol = (scheme === "socks" ? "socks5" : scheme) as ProxyProtocol;
  if (!(protocol in DEFAULT_PORTS)) {
    throw new TypeError(
      `Cannot use proxy: the scheme ${
        JSON.stringify(url.protocol)
      } is not http:, https:, socks5: or socks5h:`,
    );
  }
  if (url.hostname === "") {
    throw new TypeError(`Cannot use proxy: ${JSON.stringify(String(input))} has no host`);
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new TypeError(
      `Cannot use proxy: ${JSON.stringify(String(input))} has a path, query or fragment`,
    );
  }
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === "" ? DEFAULT_PORTS[protocol] : Number(url.port);
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    protocol,
    hostname,
    port,
    username: safeDecode(url.username),
    password: safeDecode(url.password),
    display: `${protocol}://${host}:${port}`,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An environment: variable names to values. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The target of a connection, for {@linkcode proxyFromEnvironment}. */
export interface ProxyTargetAddress {
  /** Whether the target is `wss:` (then `HTTPS_PROXY` applies), else `ws:` (`HTTP_PROXY`). */
  readonly secure: boolean;
  /** The target host (IPv6 without brackets). */
  readonly hostname: string;
  /** The target port. */
  readonly port: number;
}

function variable(env: Environment, name: string): string | undefined {
  // curl and most tools: the lower-case name wins.
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * Picks the proxy for a target from the environment, as curl does:
 * `HTTPS_PROXY` for `wss:`, `HTTP_PROXY` for `ws:`, else `ALL_PROXY`;
 * lower-case names first; none when `NO_PROXY` matches the target.
 *
 * `NO_PROXY` is a list separated by commas or spaces. An entry is `*`
 * (every host), a host name that matches itself and its subdomains
 * (`example.com` and `.example.com` both match `a.example.com`), an IP
 * address (IPv6 with or without brackets), or any of these followed by
 * `:port` to match that port only.
 *
 * @example Bypassing the proxy for a domain
 * ```ts
 * import { proxyFromEnvironment } from "./proxy_url.ts";
 * import assert from "node:assert/strict";
 *
 * const env = { HTTPS_PROXY: "http://proxy.example:3128", NO_PROXY: ".internal,10.0.0.1" };
 * const target = { secure: true, hostname: "api.example.com", port: 443 };
 * assert.equal(proxyFromEnvironment(target, env), "http://proxy.example:3128");
 * assert.equal(proxyFromEnvironment({ ...target, hostname: "db.internal" }, env), null);
 * assert.equal(proxyFromEnvironment({ ...target, secure: false }, env), null);
 * ```
 *
 * @param target The connection's target.
 * @param env The environment.
 * @returns The proxy URL to use, or `null` for a direct connection.
 */
export function proxyFromEnvironment(target: ProxyTargetAddress, env: Environment): string | null {
  const proxy = variable(env, target.secure ? "https_proxy" : "http_proxy") ??
    variable(env, "all_proxy");
  if (proxy === undefined) return null;
  const noProxy = variable(env, "no_proxy");
  if (noProxy !== undefined && matchesNoProxy(target, noProxy)) return null;
  return proxy;
}

/**
 * Tells whether a `NO_PROXY` list matches a target.
 *
 * @example Ports, suffixes and IPv6
 * ```ts
 * import { matchesNoProxy } from "./proxy_url.ts";
 * import assert from "node:assert/strict";
 *
 * const target = { secure: false, hostname: "a.example.com", port: 8080 };
 * assert.equal(matchesNoProxy(target, "example.com:8080"), true);
 * assert.equal(matchesNoProxy(target, "example.com:9090"), false);
 * assert.equal(matchesNoProxy({ ...target, hostname: "::1" }, "[::1]"), true);
 * assert.equal(matchesNoProxy(target, "ample.com"), false);
 * ```
 *
 * @param target The connection's target.
 * @param list The `NO_PROXY` value.
 * @returns Whether the target bypasses the proxy.
 */
export function matchesNoProxy(target: ProxyTargetAddress, list: string): boolean {
  const host = target.hostname.toLowerCase().replace(/\.$/, "");
  // Addresses match exactly; only names match their subdomains.
  const isAddress = host.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(host);
  for (const raw of list.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    const { name, port } = splitEntry(entry);
    if (port !== null && port !== target.port) continue;
    const bare = name.replace(/^\*?\./, "").replace(/\.$/, "");
    if (bare === "") continue;
    if (host === bare || (!isAddress && host.endsWith(`.${bare}`))) return true;
  }
  return false;
}

/** Splits `host:port`, `[v6]:port`, `[v6]` or a bare IPv6 address. */
function splitEntry(entry: string): { name: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    return { name: bracketed[1]!, port: bracketed[2] === undefined ? null : Number(bracketed[2]) };
  }
  // More than one colon and no brackets: an IPv6 address without a port.
  if (entry.indexOf(":") !== entry.lastIndexOf(":")) return { name: entry, port: null };
  const withPort = /^(.*):(\d+)$/.exec(entry);
  if (withPort) return { name: withPort[1]!, port: Number(withPort[2]) };
  return { name: entry, port: null };
}
