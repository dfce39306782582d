/**
 * The HTTP `CONNECT` handshake of an HTTP proxy (RFC 9110 §9.3.6), sans
 * I/O: {@linkcode HttpConnectHandshake.dataToSend} gives the request,
 * {@linkcode HttpConnectHandshake.receiveData} eats the proxy's answer.
 * Once it returns `true` the tunnel is open and
 * {@linkcode HttpConnectHandshake.leftover} holds any bytes that followed
 * the answer's head (they belong to the tunnel).
 *
 * @module
 */

import { encodeBase64 } from "../protocol/encoding/base64.ts";
import { HandshakeError } from "../protocol/errors.ts";
import { ResponseHeadParser } from "../protocol/http/http_response.ts";
import { ProxyError } from "./errors.ts";

/** What {@linkcode HttpConnectHandshake} needs. */
export interface HttpConnectOptions {
  /** The target host (IPv6 without brackets). */
  readonly hostname: string;
  /** The target port. */
  readonly port: number;
  /** Proxy user name for Basic authentication (RFC 7617); "" or absent for none. */
  readonly username?: string;
  /** Proxy password. */
  readonly password?: string;
  /** The proxy, without credentials, for messages. */
  readonly proxy?: string;
  /** The largest answer head accepted, in bytes. @default {16384} */
  readonly maxHeadSize?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * One `CONNECT` exchange.
 *
 * @example Opening a tunnel
 * ```ts
 * import { HttpConnectHandshake } from "./http_connect.ts";
 * import assert from "node:assert/strict";
 *
 * const handshake = new HttpConnectHandshake({ hostname: "example.com", port: 443, username: "me", password: "pw" });
 * const request = new TextDecoder().decode(handshake.dataToSend());
 * assert.ok(request.startsWith("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"));
 * assert.ok(request.includes("Proxy-Authorization: Basic bWU6cHc=\r\n"));
 * const answer = new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n");
 * assert.equal(handshake.receiveData(answer), true);
 * assert.equal(handshake.leftover().length, 0);
 * ```
 */
export class HttpConnectHandshake {
  readonly #parser: ResponseHeadParser;
  readonly #proxy: string;
  #request: Uint8Array<ArrayBuffer> | null;
  #done = false;
  #extra: Uint8Array[] = [];

  /**
   * Prepares the request.
   *
   * @param options The target and the credentials.
   * @throws {TypeError} For a target or credentials that cannot be sent.
   */
  constructor(options: HttpConnectOptions) {
    this.#proxy = options.proxy ?? "";
    this.#parser = new ResponseHeadParser(
      options.maxHeadSize === undefined ? {} : { maxHeadSize: options.maxHeadSize },
    );
    const { hostname, port } = options;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TypeError(`Cannot open tunnel: the port ${port} is not in 1-65535`);
    }
    if (hostname === "" || /[\s/@?#\[\]]/.test(hostname)) {
      throw new TypeError(`Cannot open tunnel: ${JSON.stringify(hostname)} is not a host name`);
    }
    // RFC 9110 §9.3.6: "CONNECT uses a special form of request target ...
    // consisting of only the host and port number of the tunnel destination".
    const authority = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    const username = options.username ?? "";
    const password = options.password ?? "";
    if (username !== "" || password !== "") {
      // RFC 7617 §2: "a user-id containing a colon character is invalid".
      if (username.includes(":")) {
        throw new TypeError('Cannot open tunnel: the proxy username contains ":"');
      }
      // RFC 9110 §11.7.2 Proxy-Authorization, Basic scheme (RFC 7617), UTF-8.
      const token = encodeBase64(new TextEncoder().encode(`${username}:${password}`));
      lines.push(`Proxy-Authorization: Basic ${token}`);
    }
    this.#request = new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
  }

  /**
   * The request to write, once; then empty.
   *
   * @returns The bytes of `CONNECT`.
   */
  dataToSend(): Uint8Array<ArrayBuffer> {
    const request = this.#request ?? EMPTY;
    this.#request = null;
    return request;
  }

  /**
   * Feeds the proxy's answer.
   *
   * @param chunk The next bytes.
   * @returns `true` once the tunnel is open (a 2xx answer), else `false`.
   * @throws {ProxyError} `CONNECT_REFUSED` for any other status (with
   * `status` and `headers`), `MALFORMED_REPLY` or `REPLY_TOO_LARGE`.
   */
  receiveData(chunk: Uint8Array): boolean {
    if (this.#done) {
      this.#extra.push(chunk);
      return true;
    }
    let head;
    try {
      head = this.#parser.push(chunk);
    } catch (error) {
      throw this.#translate(error);
    }
    if (head === null) return false;
    // RFC 9110 §9.3.6: "Any 2xx (Successful) response indicates that the
    // sender (and all inbound proxies) will switch to tunnel mode".
    if (head.status < 200 || head.status > 299) {
      throw new ProxyError(
        "CONNECT_REFUSED",
        `Cannot open tunnel: the proxy ${this.#proxy} answered CONNECT with ${head.status} ${head.statusText}`
          .trimEnd(),
        {
          proxy: this.#proxy,
          status: head.status,
          statusText: head.statusText,
          headers: head.headers,
        },
      );
    }
    this.#done = true;
    return true;
  }

  /**
   * Reports that the proxy closed the connection.
   *
   * @throws {ProxyError} `UNEXPECTED_EOF` unless the tunnel was open.
   */
  receiveEof(): void {
    if (this.#done) return;
    throw new ProxyError(
      "UNEXPECTED_EOF",
      `Cannot open tunnel: the proxy ${this.#proxy} closed the connection before answering CONNECT`,
      { proxy: this.#proxy },
    );
  }

  /**
   * The bytes after the answer's head, including any fed after it: the start
   * of the tunnel's stream.
   *
   * @returns A view; empty before the tunnel is open.
   */
  leftover(): Uint8Array {
    if (!this.#done) return EMPTY;
    const first = this.#parser.leftover();
    if (this.#extra.length === 0) return first;
    const parts = [first, ...this.#extra];
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return bytes;
  }

  #translate(error: unknown): unknown {
    if (!(error instanceof HandshakeError)) return error;
    const code = error.code === "RESPONSE_TOO_LARGE" ? "REPLY_TOO_LARGE" : "MALFORMED_REPLY";
    return new ProxyError(
      code,
      `Cannot open tunnel: the proxy ${this.#proxy} answered CONNECT badly: ${
        error.message.replace(/^Cannot open connection: /, "")
      }`,
      { proxy: this.#proxy, cause: error },
    );
  }
}
