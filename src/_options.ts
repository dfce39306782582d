/**
 * One place where every option of `WebSocket`, `WebSocketStream` and the
 * client they share is checked, in the constructor, before anything
 * connects: a table from option name to checker. Each error is a
 * `TypeError` (wrong type) or a `RangeError` (right type, value out of
 * range) whose message names the class and the option, e.g.
 * `Cannot create WebSocketStream: closeTimeout must be …`.
 *
 * An option that is not in the table is refused with a `TypeError` that
 * names it: a misspelt or foreign option would otherwise be ignored in
 * silence. Names known from the `ws` package point to wsport's equivalent
 * (`maxPayload` → `maxMessageSize`).
 *
 * To add an option: write its checker (or reuse one below, e.g.
 * `integer(1)`, `milliseconds`, `isFunction`, `oneOf(...)`), add
 * `name: checker` to {@linkcode CLIENT_OPTIONS} (both APIs) or to
 * {@linkcode WEBSOCKET_OPTIONS} / {@linkcode WEBSOCKET_STREAM_OPTIONS} (one
 * class), and document it in the option's interface. A field of `tls` goes
 * in {@linkcode TLS_OPTIONS}.
 * (Private: tested through the classes and in `tests/_options_test.ts`.)
 *
 * @module
 */

import { MAX_TIMER } from "./keepalive.ts";
import { PROTOCOL_VERSIONS } from "./protocol/protocol_version.ts";

/**
 * Checks one option's value (never `undefined`: an absent option is not checked).
 *
 * @param value The value given.
 * @param where The message prefix, e.g. `Cannot create WebSocket: maxFragments`.
 * @throws {TypeError} For a value of the wrong type.
 * @throws {RangeError} For a value out of range.
 */
export type OptionChecker = (value: unknown, where: string) => void;

/** Option name → checker. */
export type OptionTable = Readonly<Record<string, OptionChecker>>;

/** A short, safe rendering of a value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  return String(value);
}

/**
 * A checker for an integer of at least `min` (a limit in bytes or a count).
 *
 * @param min The smallest value allowed.
 * @returns The checker.
 */
export function integer(min: number): OptionChecker {
  return (value, where) => {
    if (typeof value !== "number") {
      throw new TypeError(`${where} must be a number, got ${describeValue(value)}`);
    }
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`${where} must be an integer >= ${min}, got ${value}`);
    }
  };
}

/** A number >= 0 (`Infinity` allowed), e.g. a high-water mark in bytes. */
export function nonNegative(value: unknown, where: string): void {
  if (typeof value !== "number") {
    throw new TypeError(`${where} must be a number, got ${describeValue(value)}`);
  }
  if (!(value >= 0)) throw new RangeError(`${where} must be a number >= 0, got ${value}`);
}

/** A finite number >= 0. */
export function finiteNonNegative(value: unknown, where: string): void {
  nonNegative(value, where);
  if (!Number.isFinite(value)) {
    throw new RangeError(`${where} must be a finite number >= 0, got ${value}`);
  }
}

/** Milliseconds a timer can wait: 0 to 2^31 - 1 (timers fire at once past it). */
export function milliseconds(value: unknown, where: string): void {
  if (typeof value !== "number") {
    throw new TypeError(`${where} must be a number of milliseconds, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value < 0 || value > MAX_TIMER) {
    throw new RangeError(
      `${where} must be a number of milliseconds in 0-${MAX_TIMER}, got ${value}`,
    );
  }
}

/** A function (a connector, a tracer, a random source). */
export function isFunction(value: unknown, where: string): void {
  if (typeof value !== "function") {
    throw new TypeError(`${where} must be a function, got ${describeValue(value)}`);
  }
}

/** A string. */
export function isString(value: unknown, where: string): void {
  if (typeof value !== "string") {
    throw new TypeError(`${where} must be a string, got ${describeValue(value)}`);
  }
}

/** A boolean. */
export function isBoolean(value: unknown, where: string): void {
  if (typeof value !== "boolean") {
    throw new TypeError(`${where} must be a boolean, got ${describeValue(value)}`);
  }
}

/**
 * A checker for one of a few strings.
 *
 * @param choices The strings allowed.
 * @returns The checker.
 */
export function oneOf(choices: readonly string[]): OptionChecker {
  return (value, where) => {
    if (typeof value !== "string") {
      throw new TypeError(`${where} must be a string, got ${describeValue(value)}`);
    }
    if (!choices.includes(value)) {
      throw new RangeError(
        `${where} must be one of ${
          choices.map((choice) => JSON.stringify(choice)).join(", ")
        }, got ${JSON.stringify(value)}`,
      );
    }
  };
}

/** An `AbortSignal`. */
export function isAbortSignal(value: unknown, where: string): void {
  if (typeof AbortSignal === "undefined" || !(value instanceof AbortSignal)) {
    throw new TypeError(`${where} must be an AbortSignal, got ${describeValue(value)}`);
  }
}

/** A subprotocol or a list of them (their syntax is checked with the URL, as WHATWG says). */
export function isProtocols(value: unknown, where: string): void {
  if (typeof value === "string") return;
  if (value === null || typeof value !== "object" || !(Symbol.iterator in value)) {
    throw new TypeError(
      `${where} must be a string or a list of strings, got ${describeValue(value)}`,
    );
  }
}

/** Extensions to offer: a list of objects. */
export function isExtensions(value: unknown, where: string): void {
  if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== "object")) {
    throw new TypeError(
      `${where} must be a list of extension objects, got ${describeValue(value)}`,
    );
  }
}

/**
 * `headers`: a `HeadersInit` — a `Headers`, a list of `[name, value]`
 * pairs, or a record of names to values — with string names and values.
 * (The names' syntax and the values' characters are checked with the request.)
 */
export function isHeaders(value: unknown, where: string): void {
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `${where} must be a Headers, a list of [name, value] pairs or a record, got ${
        describeValue(value)
      }`,
    );
  }
  if (typeof (value as { forEach?: unknown }).forEach === "function" && !Array.isArray(value)) {
    return; // A Headers: the runtime made its names and values byte strings already.
  }
  if (Array.isArray(value)) {
    value.forEach((pair, index) => {
      if (
        !Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" ||
        typeof pair[1] !== "string"
      ) {
        throw new TypeError(
          `${where}[${index}] must be a [name, value] pair of strings, got ${describeValue(pair)}`,
        );
      }
    });
    return;
  }
  for (const [name, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw new TypeError(
        `${where}[${JSON.stringify(name)}] must be a string, got ${describeValue(item)}`,
      );
    }
  }
}

/** A PEM string or its bytes (a CA, a certificate, a key). */
function isPem(value: unknown, where: string): void {
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    throw new TypeError(`${where} must be a string or a Uint8Array, got ${describeValue(value)}`);
  }
}

/** The fields of `tls`, checked as the options are. */
export const TLS_OPTIONS: Record<string, OptionChecker> = {
  ca(value, where) {
    if (Array.isArray(value)) value.forEach((item, index) => isPem(item, `${where}[${index}]`));
    else isPem(value, where);
  },
  cert: isPem,
  key: isPem,
  passphrase: isString,
  servername: isString,
  minVersion: oneOf(["TLSv1.2", "TLSv1.3"]),
  dangerouslyDisableCertificateVerification: isBoolean,
};

/** `tls`: an object whose fields are in {@linkcode TLS_OPTIONS}. */
export function isTlsOptions(value: unknown, where: string): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${where} must be an object, got ${describeValue(value)}`);
  }
  for (const [name, item] of Object.entries(value)) {
    const check = TLS_OPTIONS[name];
    if (check === undefined) {
      throw new TypeError(
        `${where} has an unknown field ${JSON.stringify(name)} (known: ${
          Object.keys(TLS_OPTIONS).join(", ")
        })`,
      );
    }
    if (item !== undefined) check(item, `${where}.${name}`);
  }
}

/** The options both `WebSocket` and `WebSocketStream` take (see `ClientOptions`). */
export const CLIENT_OPTIONS: Record<string, OptionChecker> = {
  protocols: isProtocols,
  headers: isHeaders,
  origin: isString,
  transport: isFunction,
  tls: isTlsOptions,
  signal: isAbortSignal,
  handshakeTimeout: milliseconds,
  connectTimeout: milliseconds,
  closeTimeout: milliseconds,
  pingInterval: milliseconds,
  pongTimeout: milliseconds,
  maxMessageSize: integer(1),
  maxFrameSize: integer(1),
  maxFragments: integer(1),
  maxHandshakeSize: integer(1),
  fragmentSize: integer(0),
  randomBytes: isFunction,
  trace: isFunction,
  extensions: isExtensions,
  protocolVersion: oneOf(PROTOCOL_VERSIONS),
  perMessageDeflate(value, where) {
    // The fields are checked with the offer (`validatePerMessageDeflateOptions`).
    if (typeof value !== "boolean" && (typeof value !== "object" || value === null)) {
      throw new TypeError(`${where} must be a boolean or an object, got ${describeValue(value)}`);
    }
  },
  proxy(value, where) {
    // The URL itself is parsed with the route (`planRoute`), "env" read there.
    if (value !== null && typeof value !== "string" && !(value instanceof URL)) {
      throw new TypeError(
        `${where} must be a URL string, a URL, "env" or null, got ${describeValue(value)}`,
      );
    }
  },
  proxyTls: isTlsOptions,
  unix: isString,
  lookup: isFunction,
  followRedirects(value, where) {
    if (typeof value !== "boolean" && typeof value !== "number") {
      throw new TypeError(`${where} must be a boolean or a number, got ${describeValue(value)}`);
    }
  },
  allowInsecureRedirects: isBoolean,
};

/** The options of `WebSocket`: {@linkcode CLIENT_OPTIONS} plus its own. */
export const WEBSOCKET_OPTIONS: OptionTable = {
  ...CLIENT_OPTIONS,
  maxBufferedAmount: nonNegative,
};

/** The options of `WebSocketStream`: {@linkcode CLIENT_OPTIONS} plus its own. */
export const WEBSOCKET_STREAM_OPTIONS: OptionTable = {
  ...CLIENT_OPTIONS,
  readableHighWaterMark: finiteNonNegative,
  writableHighWaterMark: finiteNonNegative,
};

/** Options of the `ws` package and what wsport calls them, for the unknown-option error. */
export const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  maxPayload: "maxMessageSize",
  ca: "tls.ca",
  servername: "tls.servername",
  rejectUnauthorized: "tls.dangerouslyDisableCertificateVerification",
  timeout: "handshakeTimeout",
  protocol: "protocols",
  subprotocols: "protocols",
  binaryType: "the binaryType property",
  autoPong: "nothing: pongs are always sent (RFC 6455 §5.5.2)",
  skipUTF8Validation: "nothing: text is always validated (RFC 6455 §8.1)",
};

/**
 * Checks an options object against a table: the object itself, then each
 * option present (not `undefined`), in the table's order.
 *
 * @param owner The class, for the message (`WebSocket`, `WebSocketStream`).
 * @param options The options given (`undefined` and `null` mean none).
 * @param table The options allowed and their checkers.
 * @throws {TypeError} For an options value that is not an object, an
 * unknown option, or an option of the wrong type.
 * @throws {RangeError} For an option out of range.
 */
export function validateOptions(owner: string, options: unknown, table: OptionTable): void {
  if (options === undefined || options === null) return;
  const prefix = `Cannot create ${owner}:`;
  if (typeof options !== "object") {
    throw new TypeError(`${prefix} options must be an object, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(table, name)) continue;
    const equivalent = FOREIGN_OPTIONS[name];
    throw new TypeError(
      `${prefix} unknown option ${JSON.stringify(name)}${
        equivalent === undefined ? "" : ` (wsport's equivalent: ${equivalent})`
      }`,
    );
  }
  for (const [name, check] of Object.entries(table)) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) check(value, `${prefix} ${name}`);
  }
}

/** The prefixes of argument errors thrown below the classes (the core, the route, the offer). */
const CORE_PREFIXES = [
  "Cannot create handshake request: ",
  "Cannot create connection: ",
  // The route, redirect and permessage-deflate checks run in the shared client.
  "Cannot create WebSocket: ",
];

/**
 * Renames an argument error of the protocol core after the class the user
 * called, e.g. a header value refused while building the request:
 * `Cannot create handshake request: …` → `Cannot create WebSocketStream: …`.
 * Other errors are returned as they are.
 *
 * @param error What the core threw.
 * @param owner The class, e.g. `WebSocket`.
 * @returns The error to throw.
 */
export function ownerError(error: unknown, owner: string): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const prefix = CORE_PREFIXES.find((item) => error.message.startsWith(item));
  if (prefix === undefined) return error;
  const Type = error instanceof TypeError ? TypeError : RangeError;
  return new Type(`Cannot create ${owner}: ${error.message.slice(prefix.length)}`, {
    cause: error,
  });
}

/**
 * A checker for a value that may also be given as a function returning it
 * (called on every attempt of the reconnecting shapes).
 *
 * @param check The checker of the value.
 * @returns The checker.
 */
export function orFunction(check: OptionChecker): OptionChecker {
  return (value, where) => {
    if (typeof value !== "function") check(value, where);
  };
}

/** `outbox`: limits as an object, or `false`. */
function isOutbox(value: unknown, where: string): void {
  if (value !== false && (value === null || typeof value !== "object")) {
    throw new TypeError(`${where} must be an object or false, got ${describeValue(value)}`);
  }
}

/**
 * The options `ReconnectingWebSocket` and `connect()` (`src/reconnect/`) add
 * to those of `WebSocket` and `WebSocketStream`. What spans options or
 * fields (`maxDelay` >= `minDelay`, `factor` >= 1, `maxAttempts` an integer
 * or `Infinity`, the outbox's limits) is checked next, by `resolveBackoff`
 * and `Outbox`, with the same message prefix.
 */
export const RECONNECT_OPTIONS: OptionTable = {
  headers: orFunction(isHeaders),
  protocols: orFunction(isProtocols),
  minDelay: milliseconds,
  maxDelay: milliseconds,
  factor: finiteNonNegative,
  maxAttempts: nonNegative,
  resetAfter: milliseconds,
  maxRetryAfter: milliseconds,
  random: isFunction,
  now: isFunction,
  outbox: isOutbox,
  shouldRetry: isFunction,
  onAttempt: isFunction,
};
