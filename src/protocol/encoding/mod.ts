/**
 * Byte helpers with no WebSocket knowledge, the floor every other folder
 * stands on: UTF-8 (fatal and streaming, `utf8.ts`), base64 (`base64.ts`),
 * the SHA-1 and MD5 digests the handshakes need (`sha1.ts`, `md5.ts`), the
 * injected random source (`random.ts`), byte concatenation (`_bytes.ts`)
 * and the ring-buffer queue every growing queue uses (`deque.ts`).
 *
 * Imports: nothing.
 *
 * @module
 */

export * from "./base64.ts";
export * from "./md5.ts";
export * from "./random.ts";
export * from "./sha1.ts";
export * from "./utf8.ts";
