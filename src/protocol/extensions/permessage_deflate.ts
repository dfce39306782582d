/**
 * permessage-deflate (RFC 7692): the offer, strict validation of the
 * server's answer, and the per-message transform, over a compression codec
 * handed in by the caller. The core does no compression itself and imports
 * no runtime module: the default codec (`src/deflate/zlib_codec.ts`, on
 * `node:zlib`) lives outside it.
 *
 * What the core does here:
 * - §7: the offer parameters and the four rules of the answer (known names,
 *   each at most once, a value only where one is defined, window bits 8-15
 *   without leading zeros, never above what was offered, and
 *   `client_max_window_bits` only when offered);
 * - §7.2.1: drops the trailing `00 00 ff ff` of a compressed message;
 *   §7.2.2: appends it again before decompressing;
 * - §6: RSV1 marks a compressed message, on its first frame only (the
 *   message assembler refuses RSV1 on continuation and control frames);
 * - RFC 6455 §10.4: the decompressed size is bounded while decompressing,
 *   by the connection's `maxMessageSize`.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { Extension, ExtensionParams, NegotiatedExtension } from "./extension.ts";

/** The extension token (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** RSV1, the "Per-Message Compressed" bit (RFC 7692 §6). */
const RSV1 = 0x4;

/** RFC 7692 §7.2.1: a compressed message ends with this empty stored block, removed on the wire. */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** What the client offers and how it compresses (RFC 7692 §7.1). */
export interface PerMessageDeflateOptions {
  /**
   * Ask the server to reset its compression context after each message
   * (`server_no_context_takeover`, §7.1.1.1): less memory on both sides,
   * worse ratio on streams of similar messages.
   * @default false
   */
  readonly serverNoContextTakeover?: boolean;
  /**
   * Tell the server we reset our compression context after each message
   * (`client_no_context_takeover`, §7.1.1.2).
   * @default false
   */
  readonly clientNoContextTakeover?: boolean;
  /**
   * Ask the server to use a window of at most 2^N bytes, N in 8-15
   * (`server_max_window_bits`, §7.1.2.1). Not offered by default.
   */
  readonly serverMaxWindowBits?: number;
  /**
   * `true` offers a bare `client_max_window_bits` (§7.1.2.2: we accept the
   * window the server picks), a number N in 8-15 offers that limit, `false`
   * does not offer the parameter (window 2^15).
   * @default true
   */
  readonly clientMaxWindowBits?: number | boolean;
  /**
   * Without context takeover on our side (`client_no_context_takeover`),
   * messages shorter than this many bytes are sent uncompressed: alone, they
   * compress too little to pay for the CPU. With context takeover every
   * message is compressed, since short messages then compress well against
   * the earlier ones. Both as ws (1024, and the same rule).
   * @default 1024
   */
  readonly threshold?: number;
  /**
   * The zlib compression level, 0-9, or -1 for zlib's default (6).
   * @default -1
   */
  readonly level?: number;
}

/** Parameters of a negotiated permessage-deflate (RFC 7692 §7.1), absent ones filled with their meaning. */
export interface PerMessageDeflateParameters {
  /** The server resets its context after each message. */
  readonly serverNoContextTakeover: boolean;
  /** We reset our context after each message. */
  readonly clientNoContextTakeover: boolean;
  /** The server's LZ77 window is at most 2^N bytes (15 when not negotiated). */
  readonly serverMaxWindowBits: number;
  /** Our LZ77 window is at most 2^N bytes (15 when not negotiated). */
  readonly clientMaxWindowBits: number;
}

/** Settings of one direction's compressor or decompressor. */
export interface DeflateSettings {
  /** The LZ77 window is 2^windowBits bytes (8-15). */
  readonly windowBits: number;
  /** Whether each message starts from an empty window (no context takeover). */
  readonly noContextTakeover: boolean;
  /** The compression level, -1 or 0-9 (compressors only). */
  readonly level: number;
}

/** Compresses the messages of one connection, in order. */
export interface MessageCompressor {
  /**
   * Compresses one message as raw DEFLATE (RFC 1951) ending in a sync flush
   * (an empty stored block `00 00 ff ff`).
   *
   * @param data The message.
   * @returns The compressed bytes, tail included.
   */
  compress(data: Uint8Array): Uint8Array;
}

/** Decompresses the messages of one connection, in order. */
export interface MessageDecompressor {
  /**
   * Decompresses one message (raw DEFLATE, the `00 00 ff ff` tail appended)
   * and stops as soon as the output passes `maxSize` bytes.
   *
   * @param data The compressed message with its tail.
   * @param maxSize The most bytes the output may have.
   * @returns The message, or `null` when it is longer than `maxSize`.
   * @throws {Error} Any error, on invalid DEFLATE data.
   */
  decompress(data: Uint8Array, maxSize: number): Uint8Array | null;
}

/** Makes the compressor and decompressor of each connection (synchronous, e.g. on `node:zlib`). */
export interface DeflateCodec {
  /**
   * Creates the compressor of outgoing messages.
   *
   * @param settings Window and context takeover as negotiated, and the level.
   * @returns The compressor.
   */
  createCompressor(settings: DeflateSettings): MessageCompressor;
  /**
   * Creates the decompressor of incoming messages.
   *
   * @param settings Window and context takeover as negotiated.
   * @returns The decompressor.
   */
  createDecompressor(settings: DeflateSettings): MessageDecompressor;
}

/** Defaults of {@linkcode PerMessageDeflateOptions}. */
export const PERMESSAGE_DEFLATE_DEFAULTS = {
  threshold: 1024,
  level: -1,
} as const;

/**
 * Validates permessage-deflate options and returns them complete.
 *
 * @param options The user's options.
 * @param where The class or function named in error messages.
 * @returns The options with defaults applied.
 * @throws {TypeError} For a value of the wrong type.
 * @throws {RangeError} For window bits outside 8-15, a negative threshold or a bad level.
 */
export function validatePerMessageDeflateOptions(
  options: PerMessageDeflateOptions,
  where = "permessage-deflate",
): Required<PerMessageDeflateOptions> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create ${where}: perMessageDeflate must be a boolean or an object`);
  }
  const flag = (name: "serverNoContextTakeover" | "clientNoContextTakeover"): boolean => {
    const value = options[name] ?? false;
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot create ${where}: perMessageDeflate.${name} must be a boolean`);
    }
    return value;
  };
  const bits = (name: string, value: unknown): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 8 || value > 15) {
      throw new RangeError(
        `Cannot create ${where}: perMessageDeflate.${name} must be an integer from 8 to 15`,
      );
    }
    return value;
  };
  const client = options.clientMaxWindowBits ?? true;
  const threshold = options.threshold ?? PERMESSAGE_DEFLATE_DEFAULTS.threshold;
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 0) {
    throw new RangeError(
      `Cannot create ${where}: perMessageDeflate.threshold must be an integer >= 0`,
    );
  }
  const level = options.level ?? PERMESSAGE_DEFLATE_DEFAULTS.level;
  if (typeof level !== "number" || !Number.isInteger(level) || level < -1 || level > 9) {
    throw new RangeError(
      `Cannot create ${where}: perMessageDeflate.level must be an integer from -1 to 9`,
    );
  }
  return {
    serverNoContextTakeover: flag("serverNoContextTakeover"),
    clientNoContextTakeover: flag("clientNoContextTakeover"),
    serverMaxWindowBits: options.serverMaxWindowBits === undefined
      ? 0
      : bits("serverMaxWindowBits", options.serverMaxWindowBits),
    clientMaxWindowBits: typeof client === "boolean" ? client : bits("clientMaxWindowBits", client),
    threshold,
    level,
  };
}

/**
 * The client's permessage-deflate offer (RFC 7692 §5, §7.1): pass it in the
 * connection's `extensions`. Several offers may be listed in order of
 * preference; the first the server's answer fits is used.
 *
 * @example Negotiating, compressing and decompressing with a codec
 * ```ts
 * import { PerMessageDeflate } from "./permessage_deflate.ts";
 * import type { DeflateCodec } from "./permessage_deflate.ts";
 * import assert from "node:assert/strict";
 *
 * // A stand-in codec: "compresses" to a stored block, as DEFLATE allows.
 * const codec: DeflateCodec = {
 *   createCompressor: () => ({
 *     compress: (data) => new Uint8Array([0x00, data.length, 0, ~data.length & 0xff, 0xff, ...data, 0, 0, 0, 0xff, 0xff]),
 *   }),
 *   createDecompressor: () => ({ decompress: (data) => data.subarray(5, 5 + data[1]!) }),
 * };
 * const offer = new PerMessageDeflate({ threshold: 0 }, codec);
 * assert.deepEqual(offer.offer(), [["client_max_window_bits", true]]);
 * const deflate = offer.accept([["server_no_context_takeover", true]]);
 * assert.equal(deflate.parameters.serverNoContextTakeover, true);
 * const { payload, rsv } = deflate.encode(new Uint8Array([1, 2, 3]));
 * assert.equal(rsv, 0x4);
 * assert.deepEqual(deflate.decode(payload, rsv, 1024), new Uint8Array([1, 2, 3]));
 * ```
 */
export class PerMessageDeflate implements Extension {
  /** The extension token. */
  readonly name: string = PERMESSAGE_DEFLATE;
  readonly #options: Required<PerMessageDeflateOptions>;
  readonly #codec: DeflateCodec;

  /**
   * Creates an offer.
   *
   * @param options What to offer, the threshold and the level.
   * @param codec The compression codec, e.g. `zlibCodec` from `src/deflate/zlib_codec.ts`.
   * @throws {TypeError | RangeError} For invalid options.
   */
  constructor(options: PerMessageDeflateOptions, codec: DeflateCodec) {
    this.#options = validatePerMessageDeflateOptions(options);
    this.#codec = codec;
  }

  /**
   * The offer's parameters (RFC 7692 §7.1).
   *
   * @returns The parameters, in the order of the RFC.
   */
  offer(): ExtensionParams {
    const o = this.#options;
    const params: [string, string | true][] = [];
    if (o.serverNoContextTakeover) params.push(["server_no_context_takeover", true]);
    if (o.clientNoContextTakeover) params.push(["client_no_context_takeover", true]);
    if (o.serverMaxWindowBits !== 0) {
      params.push(["server_max_window_bits", String(o.serverMaxWindowBits)]);
    }
    if (o.clientMaxWindowBits !== false) {
      params.push([
        "client_max_window_bits",
        o.clientMaxWindowBits === true ? true : String(o.clientMaxWindowBits),
      ]);
    }
    return params;
  }

  /**
   * Validates the server's answer (RFC 7692 §7) and returns the extension in use.
   *
   * @param params The parameters of the server's answer.
   * @returns The negotiated extension.
   * @throws {SyntaxError} For an unknown or repeated parameter, a value where
   * none is defined, or a missing or malformed value.
   * @throws {RangeError} For window bits outside 8-15 or above what was offered,
   * or a parameter the offer required and the answer left out.
   */
  accept(params: ExtensionParams): NegotiatedPerMessageDeflate {
    const parameters = negotiate(this.#options, params);
    return new NegotiatedPerMessageDeflate(params, parameters, this.#options, this.#codec);
  }
}

/** Parses and checks the answer's parameters against the offer. */
function negotiate(
  offer: Required<PerMessageDeflateOptions>,
  params: ExtensionParams,
): PerMessageDeflateParameters {
  const seen = new Map<string, string | true>();
  for (const [name, value] of params) {
    // §7: "A server MUST decline an extension negotiation offer ... if ... The
    // negotiation offer contains an extension parameter not defined for use in
    // an offer/response" and "... includes multiple extension parameters with
    // the same name"; §7 says the client fails the connection likewise.
    if (!KNOWN.has(name)) throw new SyntaxError(`unknown parameter ${name}`);
    if (seen.has(name)) throw new SyntaxError(`parameter ${name} given more than once`);
    seen.set(name, value);
  }
  const flag = (name: string): boolean => {
    const value = seen.get(name);
    // §7.1.1.1, §7.1.1.2: these parameters have no value.
    if (value !== undefined && value !== true) {
      throw new SyntaxError(`parameter ${name} has a value, ${value}, but takes none`);
    }
    return value === true;
  };
  const serverNoContextTakeover = flag("server_no_context_takeover");
  const clientNoContextTakeover = flag("client_no_context_takeover");
  // §7.1.1.1: the server accepts our server_no_context_takeover by echoing it;
  // an answer without it did not accept this offer.
  if (offer.serverNoContextTakeover && !serverNoContextTakeover) {
    throw new RangeError("server_no_context_takeover was offered and not accepted");
  }
  const serverBits = windowBits(seen, "server_max_window_bits");
  // §7.1.2.1: "the same or smaller value as the offer"; it may be answered even when not offered.
  if (offer.serverMaxWindowBits !== 0) {
    if (serverBits === 0) {
      throw new RangeError("server_max_window_bits was offered and not accepted");
    }
    if (serverBits > offer.serverMaxWindowBits) {
      throw new RangeError(
        `server_max_window_bits=${serverBits} is above the ${offer.serverMaxWindowBits} offered`,
      );
    }
  }
  const clientBits = windowBits(seen, "client_max_window_bits");
  // §7.1.2.2: "If a received extension negotiation offer doesn't have the
  // client_max_window_bits extension parameter, the corresponding extension
  // negotiation response to the offer MUST NOT include" it.
  if (clientBits !== 0) {
    if (offer.clientMaxWindowBits === false) {
      throw new RangeError("client_max_window_bits was not offered");
    }
    if (typeof offer.clientMaxWindowBits === "number" && clientBits > offer.clientMaxWindowBits) {
      throw new RangeError(
        `client_max_window_bits=${clientBits} is above the ${offer.clientMaxWindowBits} offered`,
      );
    }
  }
  return {
    serverNoContextTakeover,
    clientNoContextTakeover: clientNoContextTakeover || offer.clientNoContextTakeover,
    serverMaxWindowBits: serverBits || 15,
    clientMaxWindowBits: clientBits ||
      (typeof offer.clientMaxWindowBits === "number" ? offer.clientMaxWindowBits : 15),
  };
}

const KNOWN = new Set([
  "server_no_context_takeover",
  "client_no_context_takeover",
  "server_max_window_bits",
  "client_max_window_bits",
]);

/** §7.1.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive"; 0 when absent. */
function windowBits(seen: ReadonlyMap<string, string | true>, name: string): number {
  const value = seen.get(name);
  if (value === undefined) return 0;
  // §7.1.2.2: the response's client_max_window_bits "MUST have a value"; so does
  // server_max_window_bits everywhere (§7.1.2.1).
  if (value === true) throw new SyntaxError(`parameter ${name} has no value`);
  if (!/^(?:[89]|1[0-5])$/.test(value)) {
    throw new RangeError(`${name}=${value} is not an integer from 8 to 15 without leading zeros`);
  }
  return Number(value);
}

/**
 * permessage-deflate in use on a connection: compresses outgoing messages
 * (all of them with context takeover, else from `threshold` bytes on) and
 * decompresses those with RSV1 set.
 */
export class NegotiatedPerMessageDeflate implements NegotiatedExtension {
  /** The extension token. */
  readonly name: string = PERMESSAGE_DEFLATE;
  /** The parameters of the server's answer, as sent. */
  readonly params: ExtensionParams;
  /** RSV1 (RFC 7692 §6). */
  readonly rsv: number = RSV1;
  /** The negotiated parameters, absent ones filled in. */
  readonly parameters: PerMessageDeflateParameters;
  readonly #threshold: number;
  readonly #compressor: MessageCompressor | null;
  readonly #decompressor: MessageDecompressor;

  /**
   * Creates the negotiated extension (from {@linkcode PerMessageDeflate.accept}).
   *
   * @param params The answer's parameters, as sent.
   * @param parameters The negotiated parameters.
   * @param options The validated offer options (threshold, level).
   * @param codec The codec.
   */
  constructor(
    params: ExtensionParams,
    parameters: PerMessageDeflateParameters,
    options: Required<PerMessageDeflateOptions>,
    codec: DeflateCodec,
  ) {
    this.params = params;
    this.parameters = parameters;
    // As ws: the threshold only applies without context takeover.
    this.#threshold = parameters.clientNoContextTakeover ? options.threshold : 0;
    // zlib cannot compress raw DEFLATE with a 256-byte window (it uses 512),
    // so with client_max_window_bits=8 nothing is compressed, which §6 allows
    // ("an endpoint MAY send a message uncompressed").
    this.#compressor = parameters.clientMaxWindowBits === 8 ? null : codec.createCompressor({
      windowBits: parameters.clientMaxWindowBits,
      noContextTakeover: parameters.clientNoContextTakeover,
      level: options.level,
    });
    this.#decompressor = codec.createDecompressor({
      windowBits: parameters.serverMaxWindowBits,
      noContextTakeover: parameters.serverNoContextTakeover,
      level: options.level,
    });
  }

  /**
   * Compresses a message (RFC 7692 §7.2.1); without context takeover, only
   * from `threshold` bytes on.
   *
   * @param payload The message.
   * @returns The payload to send, with RSV1 when compressed.
   */
  encode(payload: Uint8Array): { payload: Uint8Array; rsv: number } {
    if (this.#compressor === null || payload.length < this.#threshold) return { payload, rsv: 0 };
    const compressed = this.#compressor.compress(payload);
    // §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
    const n = compressed.length;
    const tail = n >= 4 && compressed[n - 4] === 0 && compressed[n - 3] === 0 &&
      compressed[n - 2] === 0xff && compressed[n - 1] === 0xff;
    return { payload: tail ? compressed.subarray(0, n - 4) : compressed, rsv: RSV1 };
  }

  /**
   * Decompresses a message whose first frame had RSV1 (RFC 7692 §7.2.2).
   *
   * @param payload The compressed payload (all frames).
   * @param rsv The RSV bits of its first frame.
   * @param maxSize The most bytes the message may have once decompressed.
   * @returns The message.
   * @throws {ProtocolError} `MESSAGE_TOO_BIG` past `maxSize`, `EXTENSION_ERROR` on bad data.
   */
  decode(payload: Uint8Array, rsv: number, maxSize = Number.MAX_SAFE_INTEGER): Uint8Array {
    if ((rsv & RSV1) === 0) return payload;
    // §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload."
    const input = new Uint8Array(payload.length + 4);
    input.set(payload);
    input.set(TAIL, payload.length);
    let output: Uint8Array | null;
    try {
      output = this.#decompressor.decompress(input, maxSize);
    } catch {
      throw new ProtocolError(
        "EXTENSION_ERROR",
        "Cannot decompress message: invalid permessage-deflate data",
      );
    }
    // RFC 6455 §10.4: the limit is enforced while inflating, so a small
    // payload that inflates to gigabytes stops at `maxSize`.
    if (output === null) {
      throw new ProtocolError(
        "MESSAGE_TOO_BIG",
        `Cannot parse message: more than the limit of ${maxSize} bytes once decompressed`,
      );
    }
    return output;
  }
}
