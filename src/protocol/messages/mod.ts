/**
 * Messages out of frames (RFC 6455 §5.4, §5.6, §8.1): continuation
 * rules, RSV bits owned by extensions, message and fragment limits, UTF-8
 * validation across fragments, and extension decoding. Control frames and
 * the closing handshake are the connection's business.
 *
 * Imports: `../errors.ts`, `../encoding/`, `../frames/`, `../extensions/`.
 *
 * @module
 */

export * from "./message_assembler.ts";
