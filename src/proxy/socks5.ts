/**
 * The SOCKS version 5 handshake (RFC 1928), with username/password
 * authentication (RFC 1929), sans I/O: {@linkcode Socks5Handshake.dataToSend}
 * gives the bytes to write, {@linkcode Socks5Handshake.receiveData} eats the
 * proxy's replies. Once it returns `true` the tunnel is open.
 *
 * The target is sent as an IP address when it is one, else as a domain
 * name (`ATYP` X'03'), which the proxy resolves (`socks5h:`). For
 * `socks5:` the caller resolves the name first and passes the address.
 *
 * @module
 */

import { ProxyError } from "./errors.ts";

/** What {@linkcode Socks5Handshake} needs. */
export interface Socks5Options {
  /** The target: a host name (resolved by the proxy) or an IPv4/IPv6 address (IPv6 without brackets). */
  readonly hostname: string;
  /** The target port. */
  readonly port: number;
  /** User name for RFC 1929 authentication; "" or absent for none. */
  readonly username?: string;
  /** Password for RFC 1929 authentication. */
  readonly password?: string;
  /** The proxy, without credentials, for messages. */
  readonly proxy?: string;
}

/** RFC 1928 §6 reply codes and their meaning. */
export const SOCKS5_REPLIES: Readonly<Record<number, string>> = {
  0x01: "general SOCKS server failure",
  0x02: "connection not allowed by ruleset",
  0x03: "network unreachable",
  0x04: "host unreachable",
  0x05: "connection refused",
  0x06: "TTL expired",
  0x07: "command not supported",
  0x08: "address type not supported",
};

const VERSION = 0x05;
const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;
const CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

type Step = "method" | "auth" | "reply" | "open";

/**
 * One SOCKS5 `CONNECT` exchange.
 *
 * @example Without authentication
 * ```ts
 * import { Socks5Handshake } from "./socks5.ts";
 * import assert from "node:assert/strict";
 *
 * const socks = new Socks5Handshake({ hostname: "example.com", port: 80 });
 * assert.deepEqual([...socks.dataToSend()], [5, 1, 0]);
 * assert.equal(socks.receiveData(new Uint8Array([5, 0])), false);
 * const request = socks.dataToSend();
 * assert.deepEqual([...request.subarray(0, 5)], [5, 1, 0, 3, 11]);
 * assert.equal(socks.receiveData(new Uint8Array([5, 0, 0, 1, 127, 0, 0, 1, 0, 80])), true);
 * ```
 */
export class Socks5Handshake {
  readonly #proxy: string;
  readonly #username: Uint8Array;
  readonly #password: Uint8Array;
  readonly #request: Uint8Array<ArrayBuffer>;
  #step: Step = "method";
  #out: Uint8Array<ArrayBuffer>[] = [];
  #buffer: Uint8Array = new Uint8Array(0);
  #leftover: Uint8Array = new Uint8Array(0);

  /**
   * Prepares the greeting.
   *
   * @param options The target and the credentials.
   * @throws {TypeError} For a port out of range, a name longer than 255
   * bytes, or credentials longer than 255 bytes (RFC 1929 §2).
   */
  constructor(options: Socks5Options) {
    this.#proxy = options.proxy ?? "";
    const encoder = new TextEncoder();
    this.#username = encoder.encode(options.username ?? "");
    this.#password = encoder.encode(options.password ?? "");
    const withAuth = this.#username.length > 0 || this.#password.length > 0;
    if (withAuth && (this.#username.length === 0 || this.#username.length > 255)) {
      throw new TypeError("Cannot open tunnel: a SOCKS5 username must be 1-255 bytes");
    }
    if (this.#password.length > 255) {
      throw new TypeError("Cannot open tunnel: a SOCKS5 password must be at most 255 bytes");
    }
    const { port } = options;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TypeError(`Cannot open tunnel: the port ${port} is not in 1-65535`);
    }
    this.#request = connectRequest(options.hostname, port);
    // RFC 1928 §3: VER, NMETHODS, METHODS. Offer username/password only with credentials.
    this.#out.push(
      new Uint8Array(withAuth ? [VERSION, 2, NO_AUTH, USER_PASS] : [VERSION, 1, NO_AUTH]),
    );
  }

  /**
   * The bytes to write now (empty while waiting for a reply).
   *
   * @returns The next message, or an empty array.
   */
  dataToSend(): Uint8Array<ArrayBuffer> {
    const out = this.#out;
    this.#out = [];
    if (out.length === 0) return new Uint8Array(0);
    if (out.length === 1) return out[0]!;
    const total = out.reduce((sum, part) => sum + part.length, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const part of out) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return bytes;
  }

  /**
   * Feeds the proxy's replies.
   *
   * @param chunk The next bytes.
   * @returns `true` once the tunnel is open, else `false` (then write
   * {@linkcode dataToSend} and read on).
   * @throws {ProxyError} `SOCKS_NO_ACCEPTABLE_METHOD`, `SOCKS_AUTH_FAILED`,
   * `SOCKS_REFUSED` (with `replyCode`) or `MALFORMED_REPLY`.
   */
  receiveData(chunk: Uint8Array): boolean {
    if (this.#step === "open") {
      this.#leftover = join(this.#leftover, chunk);
      return true;
    }
    this.#buffer = join(this.#buffer, chunk);
    for (;;) {
      const before: Step = this.#step;
      if (before === "method") this.#onMethod();
      else if (before === "auth") this.#onAuth();
      else if (before === "reply") this.#onReply();
      const after = this.#current();
      if (after === "open") return true;
      if (after === before) return false;
    }
  }

  /**
   * Reports that the proxy closed the connection.
   *
   * @throws {ProxyError} `UNEXPECTED_EOF` unless the tunnel was open.
   */
  receiveEof(): void {
    if (this.#step === "open") return;
    throw new ProxyError(
      "UNEXPECTED_EOF",
      `Cannot open tunnel: the SOCKS5 proxy ${this.#proxy} closed the connection during the handshake`,
      { proxy: this.#proxy },
    );
  }

  /**
   * The bytes after the final reply: the start of the tunnel's stream.
   *
   * @returns A view; empty before the tunnel is open.
   */
  leftover(): Uint8Array {
    return this.#leftover;
  }

  /** RFC 1928 §3: the METHOD selection message, VER and METHOD. */
  #onMethod(): void {
    const bytes = this.#take(2);
    if (bytes === null) return;
    this.#checkVersion(bytes[0]!, VERSION);
    const method = bytes[1]!;
    if (method === NO_ACCEPTABLE) {
      throw this.#error(
        "SOCKS_NO_ACCEPTABLE_METHOD",
        `the SOCKS5 proxy ${this.#proxy} accepts none of the offered authentication methods` +
          (this.#username.length === 0 ? " (it may require a username and password)" : ""),
      );
    }
    if (method === USER_PASS && this.#username.length > 0) {
      // RFC 1929 §2: VER X'01', ULEN, UNAME, PLEN, PASSWD.
      const u = this.#username;
      const p = this.#password;
      const auth = new Uint8Array(3 + u.length + p.length);
      auth[0] = 0x01;
      auth[1] = u.length;
      auth.set(u, 2);
      auth[2 + u.length] = p.length;
      auth.set(p, 3 + u.length);
      this.#out.push(auth);
      this.#step = "auth";
    } else if (method === NO_AUTH) {
      this.#out.push(this.#request);
      this.#step = "reply";
    } else {
      throw this.#error(
        "MALFORMED_REPLY",
        `the SOCKS5 proxy ${this.#proxy} chose the method ${method}, which was not offered`,
      );
    }
  }

  /** RFC 1929 §2: VER X'01' and STATUS, X'00' for success. */
  #onAuth(): void {
    const bytes = this.#take(2);
    if (bytes === null) return;
    this.#checkVersion(bytes[0]!, 0x01);
    if (bytes[1] !== 0x00) {
      throw this.#error(
        "SOCKS_AUTH_FAILED",
        `the SOCKS5 proxy ${this.#proxy} refused the username and password (status ${bytes[1]})`,
      );
    }
    this.#out.push(this.#request);
    this.#step = "reply";
  }

  /** RFC 1928 §6: VER, REP, RSV, ATYP, BND.ADDR, BND.PORT. */
  #onReply(): void {
    if (this.#buffer.length < 5) return;
    this.#checkVersion(this.#buffer[0]!, VERSION);
    const reply = this.#buffer[1]!;
    if (reply !== 0x00) {
      const meaning = SOCKS5_REPLIES[reply] ?? "unassigned reply code";
      throw new ProxyError(
        "SOCKS_REFUSED",
        `Cannot open tunnel: the SOCKS5 proxy ${this.#proxy} refused CONNECT: ${meaning} (reply ${reply})`,
        { proxy: this.#proxy, replyCode: reply },
      );
    }
    const atyp = this.#buffer[3]!;
    const addressLength = atyp === ATYP_IPV4
      ? 4
      : atyp === ATYP_IPV6
      ? 16
      : atyp === ATYP_DOMAIN
      ? 1 + this.#buffer[4]!
      : -1;
    if (addressLength < 0) {
      throw this.#error(
        "MALFORMED_REPLY",
        `the SOCKS5 proxy ${this.#proxy} sent address type ${atyp}`,
      );
    }
    if (this.#take(4 + addressLength + 2) === null) return;
    this.#leftover = this.#buffer;
    this.#buffer = new Uint8Array(0);
    this.#step = "open";
  }

  #current(): Step {
    return this.#step;
  }

  #take(n: number): Uint8Array | null {
    if (this.#buffer.length < n) return null;
    const bytes = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return bytes;
  }

  #checkVersion(actual: number, expected: number): void {
    if (actual !== expected) {
      throw this.#error(
        "MALFORMED_REPLY",
        `the proxy ${this.#proxy} is not a SOCKS5 proxy (version byte ${actual}, expected ${expected})`,
      );
    }
  }

  #error(
    code: "MALFORMED_REPLY" | "SOCKS_AUTH_FAILED" | "SOCKS_NO_ACCEPTABLE_METHOD",
    detail: string,
  ): ProxyError {
    return new ProxyError(code, `Cannot open tunnel: ${detail}`, { proxy: this.#proxy });
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const bytes = new Uint8Array(a.length + b.length);
  bytes.set(a);
  bytes.set(b, a.length);
  return bytes;
}

/** RFC 1928 §4: VER, CMD X'01' CONNECT, RSV, ATYP, DST.ADDR, DST.PORT. */
function connectRequest(hostname: string, port: number): Uint8Array<ArrayBuffer> {
  const address = encodeAddress(hostname);
  const request = new Uint8Array(3 + address.length + 2);
  request.set([VERSION, CONNECT, 0x00], 0);
  request.set(address, 3);
  request[request.length - 2] = port >> 8;
  request[request.length - 1] = port & 0xff;
  return request;
}

/** ATYP and DST.ADDR for an IPv4 address, an IPv6 address or a domain name. */
function encodeAddress(hostname: string): Uint8Array {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (v4 && v4.slice(1).every((part) => Number(part) <= 255)) {
    return new Uint8Array([ATYP_IPV4, ...v4.slice(1).map(Number)]);
  }
  if (hostname.includes(":")) return new Uint8Array([ATYP_IPV6, ...parseIpv6(hostname)]);
  const name = new TextEncoder().encode(hostname);
  if (name.length === 0 || name.length > 255) {
    throw new TypeError(`Cannot open tunnel: the host name must be 1-255 bytes for SOCKS5`);
  }
  return new Uint8Array([ATYP_DOMAIN, name.length, ...name]);
}

/** The 16 bytes of an IPv6 address (`::` compression and a trailing dotted IPv4 allowed). */
function parseIpv6(text: string): number[] {
  const fail = () =>
    new TypeError(`Cannot open tunnel: ${JSON.stringify(text)} is not an IPv6 address`);
  let groups: string[] = [];
  let tail = text;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const v4Bytes: number[] = [];
  if (v4) {
    tail = v4[1]!.endsWith("::") ? v4[1]! : v4[1]!.slice(0, -1);
    for (const part of v4[2]!.split(".")) {
      const n = Number(part);
      if (n > 255) throw fail();
      v4Bytes.push(n);
    }
  }
  const halves = tail.split("::");
  if (halves.length > 2) throw fail();
  const parse = (half: string) => (half === "" ? [] : half.split(":"));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const wanted = 8 - v4Bytes.length / 2;
  if (halves.length === 2) {
    const missing = wanted - head.length - rest.length;
    if (missing < 1) throw fail();
    groups = [...head, ...Array<string>(missing).fill("0"), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== wanted) throw fail();
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) throw fail();
    const n = parseInt(group, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return [...bytes, ...v4Bytes];
}
