/**
 * WebIDL conversions used at the public boundary
 * (https://webidl.spec.whatwg.org/#es-unsigned-short).
 *
 * @module
 */

/**
 * `[Clamp] unsigned short`: NaN becomes 0, the value is clamped to
 * 0-65535 and rounded to the nearest integer, ties to even.
 *
 * @param value Any value.
 * @returns The converted number.
 */
export function clampUnsignedShort(value: unknown): number {
  const x = Number(value);
  if (Number.isNaN(x)) return 0;
  const clamped = Math.min(Math.max(x, 0), 65535);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * `[EnforceRange] unsigned short`: NaN and infinities throw, the value is
 * truncated, and a result outside 0-65535 throws.
 *
 * @param value Any value.
 * @param name What the value is, for the message.
 * @returns The converted number.
 * @throws {TypeError} When the value is not finite or out of range.
 */
export function enforceRangeUnsignedShort(value: unknown, name: string): number {
  const x = Number(value);
  if (!Number.isFinite(x)) {
    throw new TypeError(`Cannot convert ${name}: ${String(value)} is not a finite number`);
  }
  const truncated = Math.trunc(x);
  if (truncated < 0 || truncated > 65535) {
    throw new TypeError(`Cannot convert ${name}: ${String(value)} is outside 0-65535`);
  }
  return truncated + 0; // -0 becomes +0
}

/**
 * The WebIDL `BufferSource`, declared here so that the published types need
 * no DOM lib (a Node project with `"lib": ["ES2023"]` and `@types/node` has
 * no global `BufferSource`).
 */
export type BufferSource = ArrayBuffer | ArrayBufferView;

/**
 * A `BufferSource` as a view of the same bytes (no copy).
 *
 * @param data An `ArrayBuffer` or any view of one.
 * @returns The bytes as a `Uint8Array`.
 */
export function bufferSourceBytes(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  // A plain Uint8Array is used as it is: one view less per send().
  if (data instanceof Uint8Array && data.constructor === Uint8Array) return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/**
 * Turns the core's `SyntaxError` (bad URL, bad subprotocol list) into the
 * `DOMException` the WHATWG constructors throw; other errors pass through.
 *
 * @param error What the core threw.
 * @returns The error to throw.
 */
export function domSyntaxError(error: unknown): unknown {
  return error instanceof SyntaxError ? new DOMException(error.message, "SyntaxError") : error;
}
