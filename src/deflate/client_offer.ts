/**
 * The `perMessageDeflate` client option: turns it into the permessage-deflate
 * offer of the core, over the default `node:zlib` codec.
 *
 * @module
 */

import type { Extension } from "../protocol/extensions/extension.ts";
import {
  PERMESSAGE_DEFLATE,
  PerMessageDeflate,
  type PerMessageDeflateOptions,
  validatePerMessageDeflateOptions,
} from "../protocol/extensions/permessage_deflate.ts";
import type { ProtocolVersion } from "../protocol/protocol_version.ts";
import { loadZlibCodec } from "./zlib_codec.ts";

/**
 * The extensions to offer for a client: permessage-deflate first (unless
 * off, the user offers it already, or the protocol version predates it),
 * then the user's own extensions.
 *
 * @example The default offer
 * ```ts
 * import { clientDeflateOffer } from "./client_offer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clientDeflateOffer(undefined, {})[0]?.name, "permessage-deflate");
 * assert.equal(clientDeflateOffer(false, {}).length, 0);
 * assert.equal(clientDeflateOffer(true, { protocolVersion: "hybi-10" }).length, 0);
 * ```
 *
 * @param value The `perMessageDeflate` option.
 * @param options The `extensions` and `protocolVersion` options.
 * @param where The class named in error messages.
 * @returns The extensions to offer.
 * @throws {TypeError | RangeError} For an invalid `perMessageDeflate`.
 */
export function clientDeflateOffer(
  value: boolean | PerMessageDeflateOptions | undefined,
  options: {
    readonly extensions?: readonly Extension[];
    readonly protocolVersion?: ProtocolVersion;
  },
  where = "WebSocket",
): readonly Extension[] {
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
    return own;
  }
  const offer = value === true || value === undefined ? {} : value;
  return [new PerMessageDeflate(offer, loadZlibCodec()), ...own];
}
