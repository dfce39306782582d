/**
 * The `perMessageDeflate` client option: turns it into the permessage-deflate
 * offer of the core, over the default `node:zlib` codec loaded on first use.
 *
 * @module
 */

import type { Extension } from "../protocol/extensions/extension.ts";
import {
  type DeflateCodec,
  PERMESSAGE_DEFLATE,
  PerMessageDeflate,
  type PerMessageDeflateOptions,
  validatePerMessageDeflateOptions,
} from "../protocol/extensions/permessage_deflate.ts";
import type { ProtocolVersion } from "../protocol/protocol_version.ts";
import { loadZlibCodec } from "./zlib_codec.ts";

/** The extensions to offer, and what must be awaited before the handshake response is read. */
export interface DeflateOffer {
  /** The extensions option for the connection (the user's, plus permessage-deflate). */
  readonly extensions: readonly Extension[];
  /** Loads the codec; `null` when nothing is to load. */
  readonly load: (() => Promise<void>) | null;
}

/**
 * Builds the offer for a client: permessage-deflate first (unless off, the
 * user offers it already, or the protocol version predates it), then the
 * user's own extensions.
 *
 * @example The default offer
 * ```ts
 * import { clientDeflateOffer } from "./client_offer.ts";
 * import assert from "node:assert/strict";
 *
 * const { extensions, load } = clientDeflateOffer(undefined, {});
 * assert.equal(extensions[0]?.name, "permessage-deflate");
 * await load?.();
 * assert.equal(clientDeflateOffer(false, {}).extensions.length, 0);
 * assert.equal(clientDeflateOffer(true, { protocolVersion: "hybi-10" }).extensions.length, 0);
 * ```
 *
 * @param value The `perMessageDeflate` option.
 * @param options The `extensions` and `protocolVersion` options.
 * @param where The class named in error messages.
 * @returns The extensions and the codec loader.
 * @throws {TypeError | RangeError} For an invalid `perMessageDeflate`.
 */
export function clientDeflateOffer(
  value: boolean | PerMessageDeflateOptions | undefined,
  options: {
    readonly extensions?: readonly Extension[];
    readonly protocolVersion?: ProtocolVersion;
  },
  where = "WebSocket",
): DeflateOffer {
  const own = options.extensions ?? [];
  if (value !== undefined && typeof value !== "boolean") {
    validatePerMessageDeflateOptions(value, where);
  }
  // Offered from RFC 6455 on only: hybi-10 and older have no permessage-deflate
  // (RFC 7692 builds on RFC 6455's extension negotiation).
  const version = options.protocolVersion ?? "rfc6455";
  if (
    value === false || version !== "rfc6455" ||
    own.some((extension) => extension.name === PERMESSAGE_DEFLATE)
  ) {
    return { extensions: own, load: null };
  }
  let codec: DeflateCodec | null = null;
  // The codec is needed when the answer is accepted, after the request is
  // sent; `load` runs before the transport opens, so it is always there.
  const deferred: DeflateCodec = {
    createCompressor: (settings) => loaded().createCompressor(settings),
    createDecompressor: (settings) => loaded().createDecompressor(settings),
  };
  function loaded(): DeflateCodec {
    if (codec === null) throw new Error("Cannot use permessage-deflate: node:zlib is not loaded");
    return codec;
  }
  const extension = new PerMessageDeflate(
    value === true || value === undefined ? {} : value,
    deferred,
  );
  return {
    extensions: [extension, ...own],
    load: async () => {
      codec = await loadZlibCodec();
    },
  };
}
