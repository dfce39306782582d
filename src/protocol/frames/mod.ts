/**
 * The RFC 6455 frame layer (§5): opcodes, masking, encoding a frame, the
 * frame parser over a chunk queue (any chunk split, size limits), and close
 * frame payloads and codes (§5.5.1, §7.4). It knows one frame at a time:
 * nothing of messages, handshakes or connection state.
 *
 * Imports: `../errors.ts`, `../encoding/`.
 *
 * @module
 */

export * from "./chunk_queue.ts";
export * from "./close_code.ts";
export * from "./frame.ts";
export * from "./frame_parser.ts";
export * from "./mask.ts";
export * from "./opcode.ts";
