// Helpers shared by the bench server and every client, in plain JavaScript so
// that Deno, Bun and Node load the same file.

/**
 * The payload of every benchmark message of `size` bytes: a fixed pattern,
 * so both ends can check content without sending it twice.
 *
 * @param {number} size
 * @returns {Uint8Array}
 */
export function pattern(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/**
 * Compares `bytes` with {@link pattern}.
 *
 * @param {Uint8Array} bytes
 * @param {number} size
 * @returns {boolean}
 */
export function isPattern(bytes, size) {
  if (bytes.length !== size) return false;
  for (let i = 0; i < size; i++) if (bytes[i] !== ((i * 31 + 7) & 0xff)) return false;
  return true;
}

/**
 * The header length of a frame (RFC 6455 §5.2).
 *
 * @param {number} length payload length
 * @param {boolean} masked
 */
export function headerLength(length, masked) {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes an unmasked frame header.
 *
 * @param {Uint8Array} target
 * @param {number} offset
 * @param {number} opcode
 * @param {number} length
 * @returns {number} the offset after the header
 */
export function writeHeader(target, offset, opcode, length) {
  target[offset++] = 0x80 | opcode;
  if (length < 126) {
    target[offset++] = length;
  } else if (length < 0x10000) {
    target[offset++] = 126;
    target[offset++] = length >>> 8;
    target[offset++] = length & 0xff;
  } else {
    target[offset++] = 127;
    for (let shift = 56; shift >= 0; shift -= 8) {
      target[offset++] = shift >= 32
        ? Math.floor(length / 2 ** shift) & 0xff
        : (length >>> shift) & 0xff;
    }
  }
  return offset;
}

/**
 * An unmasked frame (server to client).
 *
 * @param {number} opcode
 * @param {Uint8Array} payload
 * @returns {Uint8Array}
 */
export function serverFrame(opcode, payload) {
  const frame = new Uint8Array(headerLength(payload.length, false) + payload.length);
  frame.set(payload, writeHeader(frame, 0, opcode, payload.length));
  return frame;
}

/** Message sizes of the throughput scenarios, by name. */
export const SIZES = { "16B": 16, "1KiB": 1024, "64KiB": 65536, "1MiB": 1048576 };
