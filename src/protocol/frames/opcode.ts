/**
 * Frame opcodes (RFC 6455 §5.2, §11.8).
 *
 * @module
 */

/** The opcodes RFC 6455 defines; the others are reserved. */
export const OPCODE = {
  /** §5.4: a continuation frame of a fragmented message. */
  Continuation: 0x0,
  /** §5.6: a text frame, UTF-8 payload. */
  Text: 0x1,
  /** §5.6: a binary frame. */
  Binary: 0x2,
  /** §5.5.1: a close frame. */
  Close: 0x8,
  /** §5.5.2: a ping frame. */
  Ping: 0x9,
  /** §5.5.3: a pong frame. */
  Pong: 0xa,
} as const;

/** An opcode defined by RFC 6455. */
export type Opcode = typeof OPCODE[keyof typeof OPCODE];

/**
 * Whether `opcode` is a control opcode (most significant bit set, §5.5).
 *
 * @param opcode A 4-bit opcode.
 * @returns `true` for 0x8-0xF.
 */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/**
 * Whether `opcode` is one RFC 6455 defines (§5.2: 0x3-0x7 and 0xB-0xF are reserved).
 *
 * @param opcode A 4-bit opcode.
 * @returns `true` for 0x0, 0x1, 0x2, 0x8, 0x9, 0xA.
 */
export function isKnownOpcode(opcode: number): opcode is Opcode {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
