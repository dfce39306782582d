/**
 * WebSocket extensions: the `Sec-WebSocket-Extensions` grammar (RFC 6455
 * §9.1) and the interface an extension implements to take part in the
 * opening handshake and in message encoding (§9, RFC 7692 for
 * permessage-deflate).
 *
 * ```
 * Sec-WebSocket-Extensions = extension-list
 * extension-list = 1#extension
 * extension = extension-token *( ";" extension-param )
 * extension-token = registered-token
 * registered-token = token
 * extension-param = token [ "=" (token | quoted-string) ]
 *     ;When using the quoted-string syntax variant, the value
 *     ;after quoted-string unescaping MUST conform to the
 *     ;'token' ABNF.
 * ```
 *
 * @module
 */

/** Extension parameters in order: a name with a value, or `true` for a bare name. */
export type ExtensionParams = ReadonlyArray<readonly [name: string, value: string | true]>;

/** One element of a `Sec-WebSocket-Extensions` list. */
export interface ExtensionOfferItem {
  /** The extension token, e.g. "permessage-deflate". */
  readonly name: string;
  /** Its parameters, in order, duplicates kept (the extension decides what they mean). */
  readonly params: ExtensionParams;
}

/** An extension as configured by the user, before negotiation (e.g. permessage-deflate). */
export interface Extension {
  /** The extension token offered in the request. */
  readonly name: string;
  /**
   * The parameters offered in the request.
   *
   * @returns The offer parameters.
   */
  offer(): ExtensionParams;
  /**
   * The server accepted the extension with `params`: validate them and
   * return the negotiated instance.
   *
   * @param params The parameters of the server's response.
   * @returns The negotiated extension.
   * @throws {SyntaxError | TypeError} With a message, when the parameters are unacceptable.
   */
  accept(params: ExtensionParams): NegotiatedExtension;
}

/** An extension in use on a connection. */
export interface NegotiatedExtension {
  /** The extension token. */
  readonly name: string;
  /** The parameters the server accepted it with. */
  readonly params: ExtensionParams;
  /** RSV bits this extension owns: a bitmask over 0x4 (RSV1), 0x2 (RSV2), 0x1 (RSV3). */
  readonly rsv: number;
  /**
   * Decodes a whole received data message (payloads concatenated).
   *
   * @param payload The message payload.
   * @param rsv The RSV bits of its first frame.
   * @param maxSize The most bytes the decoded message may have: a decoder
   * that expands data stops as soon as it passes this (RFC 6455 §10.4).
   * @returns The decoded payload.
   * @throws {ProtocolError} `EXTENSION_ERROR` on bad data, `MESSAGE_TOO_BIG` past `maxSize`.
   */
  decode(payload: Uint8Array, rsv: number, maxSize?: number): Uint8Array;
  /**
   * Encodes an outgoing data message.
   *
   * @param payload The message payload.
   * @returns The payload to send and the RSV bits to set on its first frame.
   */
  encode(payload: Uint8Array): { payload: Uint8Array; rsv: number };
}

/** RFC 9110 §5.6.2: token = 1*tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Whether `text` is an HTTP token (RFC 9110 §5.6.2), the grammar of
 * extension names and parameter names and values (RFC 6455 §9.1).
 *
 * @example Checking extension tokens
 * ```ts
 * import { isToken } from "./extension.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isToken("permessage-deflate"), true);
 * assert.equal(isToken("a b"), false);
 * ```
 *
 * @param text Any string.
 * @returns `true` when `text` is a non-empty run of tchar.
 */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1). Optional
 * whitespace around separators is allowed and empty list elements are
 * skipped (RFC 9110 §5.6.1.2), so "" parses to an empty list. Quoted values
 * are unescaped and must then be tokens (RFC 6455 §9.1).
 *
 * @example Parsing a permessage-deflate response
 * ```ts
 * import { parseExtensionHeader } from "./extension.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   parseExtensionHeader('permessage-deflate; client_max_window_bits="10"; server_no_context_takeover'),
 *   [{ name: "permessage-deflate", params: [["client_max_window_bits", "10"], ["server_no_context_takeover", true]] }],
 * );
 * assert.throws(() => parseExtensionHeader("a; b=c d"), SyntaxError);
 * ```
 *
 * @param value The header value (several header lines joined with ", ").
 * @returns The extensions in order.
 * @throws {SyntaxError} "Cannot parse Sec-WebSocket-Extensions: …" on bad grammar.
 */
export function parseExtensionHeader(value: string): ExtensionOfferItem[] {
  const scanner = new Scanner(value);
  const items: ExtensionOfferItem[] = [];
  while (true) {
    scanner.skipWhitespace();
    if (scanner.done()) return items;
    // RFC 9110 §5.6.1.2: a recipient MUST accept empty list elements.
    if (scanner.eat(",")) continue;
    const name = scanner.token("an extension name");
    const params: [string, string | true][] = [];
    scanner.skipWhitespace();
    while (scanner.eat(";")) {
      scanner.skipWhitespace();
      const param = scanner.token("a parameter name");
      scanner.skipWhitespace();
      let paramValue: string | true = true;
      if (scanner.eat("=")) {
        scanner.skipWhitespace();
        paramValue = scanner.peek() === '"'
          ? scanner.quotedToken(param)
          : scanner.token(`a value for ${param}`);
        scanner.skipWhitespace();
      }
      params.push([param, paramValue]);
    }
    items.push({ name, params });
    // RFC 6455 §9.1: extensions are separated by ","; anything else is an error.
    if (!scanner.done() && !scanner.eat(",")) scanner.fail('expected "," or ";"');
  }
}

/**
 * Formats a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1): items joined
 * with ", ", parameters with "; ", values written as bare tokens.
 *
 * @example Formatting an offer
 * ```ts
 * import { formatExtensionHeader } from "./extension.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatExtensionHeader([{ name: "permessage-deflate", params: [["client_max_window_bits", true]] }]),
 *   "permessage-deflate; client_max_window_bits",
 * );
 * ```
 *
 * @param items The extensions with their parameters.
 * @returns The header value.
 * @throws {TypeError} When a name, parameter name or value is not a token (RFC 6455 §9.1).
 */
export function formatExtensionHeader(items: readonly ExtensionOfferItem[]): string {
  return items.map((item) => {
    // RFC 6455 §9.1: extension-token = registered-token = token.
    if (!isToken(item.name)) {
      throw new TypeError(
        `Cannot format Sec-WebSocket-Extensions: ${JSON.stringify(item.name)} is not a token`,
      );
    }
    const parts = [item.name];
    for (const [name, value] of item.params) {
      // RFC 6455 §9.1: extension-param = token [ "=" (token | quoted-string) ], and a
      // quoted value must be a token once unescaped, so a bare token is always enough.
      if (!isToken(name) || (value !== true && !isToken(value))) {
        throw new TypeError(
          `Cannot format Sec-WebSocket-Extensions: parameter ${
            JSON.stringify(name)
          } of ${item.name} is not a token or has a non-token value`,
        );
      }
      parts.push(value === true ? name : `${name}=${value}`);
    }
    return parts.join("; ");
  }).join(", ");
}

/** A cursor over a header value, with one failure style. */
class Scanner {
  readonly #text: string;
  #index = 0;

  constructor(text: string) {
    this.#text = text;
  }

  done(): boolean {
    return this.#index >= this.#text.length;
  }

  peek(): string | undefined {
    return this.#text[this.#index];
  }

  eat(char: string): boolean {
    if (this.#text[this.#index] !== char) return false;
    this.#index++;
    return true;
  }

  /** RFC 9110 §5.6.3: OWS = *( SP / HTAB ). */
  skipWhitespace(): void {
    while (this.#text[this.#index] === " " || this.#text[this.#index] === "\t") this.#index++;
  }

  /** RFC 9110 §5.6.2: token = 1*tchar. */
  token(what: string): string {
    const match = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(this.#text.slice(this.#index));
    if (match === null) this.fail(`expected ${what}`);
    this.#index += match[0].length;
    return match[0];
  }

  /** RFC 9110 §5.6.4 quoted-string, whose content RFC 6455 §9.1 requires to be a token. */
  quotedToken(param: string): string {
    const start = this.#index;
    this.#index++;
    let value = "";
    while (true) {
      const char = this.#text[this.#index++];
      if (char === undefined) {
        this.#index = start;
        this.fail(`unterminated quoted value for ${param}`);
      }
      if (char === '"') break;
      // RFC 9110 §5.6.4: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
      value += char === "\\" ? (this.#text[this.#index++] ?? "") : char;
    }
    // RFC 6455 §9.1: "the value after quoted-string unescaping MUST conform to the 'token' ABNF".
    if (!isToken(value)) {
      this.#index = start;
      this.fail(`the quoted value of ${param} is not a token`);
    }
    return value;
  }

  fail(detail: string): never {
    throw new SyntaxError(
      `Cannot parse Sec-WebSocket-Extensions: ${detail} at index ${this.#index} of ${
        JSON.stringify(this.#text)
      }`,
    );
  }
}
