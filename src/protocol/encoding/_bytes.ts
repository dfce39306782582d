/**
 * Joining byte arrays, for the few places that need one contiguous copy:
 * a message spanning frames, a handshake head with the bytes after it.
 * (Private: tested through the modules that use it.)
 *
 * @module
 */

/**
 * Concatenates byte arrays into a new one.
 *
 * @param parts The arrays.
 * @returns Their bytes in order.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
