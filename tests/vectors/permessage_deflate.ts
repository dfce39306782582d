/**
 * permessage-deflate vectors: the examples of RFC 7692 §7.2.3, written out
 * by hand from the RFC (server to client, so unmasked), and the answers a
 * server may or may not give to an offer (RFC 7692 §7).
 *
 * @module
 */

import type { PerMessageDeflateOptions } from "../../src/protocol/extensions/permessage_deflate.ts";

/** Frames from the server and the messages they carry. */
export interface DeflateFrameVector {
  /** What the case shows. */
  readonly name: string;
  /** The RFC 7692 section of the example. */
  readonly section: string;
  /** The answer's parameters after `permessage-deflate`, e.g. "; server_no_context_takeover". */
  readonly answer: string;
  /** The frames on the wire. */
  readonly bytes: Uint8Array;
  /** The text messages they decode to. */
  readonly messages: readonly string[];
}

const b = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);

/** RFC 7692 §7.2.3 examples. */
export const DEFLATE_FRAMES: readonly DeflateFrameVector[] = [
  {
    name: '"Hello" compressed in one frame',
    section: "7.2.3.1",
    answer: "",
    bytes: b(0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00),
    messages: ["Hello"],
  },
  {
    name: '"Hello" compressed and fragmented into two frames',
    section: "7.2.3.1",
    answer: "",
    bytes: b(0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00),
    messages: ["Hello"],
  },
  {
    name: 'two "Hello" messages sharing the LZ77 window',
    section: "7.2.3.2",
    answer: "",
    bytes: b(
      ...[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
      ...[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00],
    ),
    messages: ["Hello", "Hello"],
  },
  {
    name: 'two "Hello" messages without context takeover',
    section: "7.2.3.2",
    answer: "; server_no_context_takeover",
    bytes: b(
      ...[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
      ...[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
    ),
    messages: ["Hello", "Hello"],
  },
  {
    name: "a DEFLATE block with no compression",
    section: "7.2.3.3",
    answer: "",
    bytes: b(0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00),
    messages: ["Hello"],
  },
  {
    name: "a DEFLATE block with BFINAL set to 1",
    section: "7.2.3.4",
    answer: "; server_no_context_takeover",
    bytes: b(0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00),
    messages: ["Hello"],
  },
  {
    name: "two DEFLATE blocks in one message",
    section: "7.2.3.5",
    answer: "",
    bytes: b(
      ...[0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07],
      0x00,
    ),
    messages: ["Hello"],
  },
  {
    name: "an empty message compressed to one 0x00 octet",
    section: "7.2.3.6",
    answer: "",
    bytes: b(0xc1, 0x01, 0x00),
    messages: [""],
  },
  {
    name: "an empty message with an empty compressed payload",
    section: "7.2.3.6",
    answer: "",
    bytes: b(0xc1, 0x00),
    messages: [""],
  },
  {
    name: "a compressed message, a ping, then an uncompressed message",
    section: "6",
    answer: "",
    bytes: b(
      ...[0x41, 0x03, 0xf2, 0x48, 0xcd],
      ...[0x89, 0x01, 0x70],
      ...[0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00],
      ...[0x81, 0x02, 0x68, 0x69],
    ),
    messages: ["Hello", "hi"],
  },
];

/** An offer, an answer that fits it, and what was negotiated. */
export interface AnswerVector {
  readonly name: string;
  readonly section: string;
  readonly offer: PerMessageDeflateOptions;
  /** The `Sec-WebSocket-Extensions` header of the answer. */
  readonly answer: string;
  readonly parameters: {
    readonly serverNoContextTakeover: boolean;
    readonly clientNoContextTakeover: boolean;
    readonly serverMaxWindowBits: number;
    readonly clientMaxWindowBits: number;
  };
}

const DEFAULTS = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
} as const;

/** Answers that must be accepted. */
export const VALID_ANSWERS: readonly AnswerVector[] = [
  {
    name: "a bare answer",
    section: "7",
    offer: {},
    answer: "permessage-deflate",
    parameters: DEFAULTS,
  },
  {
    name: "server_no_context_takeover answered though not offered",
    section: "7.1.1.1",
    offer: {},
    answer: "permessage-deflate; server_no_context_takeover",
    parameters: { ...DEFAULTS, serverNoContextTakeover: true },
  },
  {
    name: "client_no_context_takeover answered though not offered",
    section: "7.1.1.2",
    offer: {},
    answer: "permessage-deflate; client_no_context_takeover",
    parameters: { ...DEFAULTS, clientNoContextTakeover: true },
  },
  {
    name: "server_max_window_bits answered though not offered",
    section: "7.1.2.1",
    offer: {},
    answer: "permessage-deflate; server_max_window_bits=10",
    parameters: { ...DEFAULTS, serverMaxWindowBits: 10 },
  },
  {
    name: "a smaller server_max_window_bits than offered",
    section: "7.1.2.1",
    offer: { serverMaxWindowBits: 12 },
    answer: "permessage-deflate; server_max_window_bits=9",
    parameters: { ...DEFAULTS, serverMaxWindowBits: 9 },
  },
  {
    name: "client_max_window_bits picked by the server after a bare offer",
    section: "7.1.2.2",
    offer: {},
    answer: "permessage-deflate; client_max_window_bits=8",
    parameters: { ...DEFAULTS, clientMaxWindowBits: 8 },
  },
  {
    name: "client_max_window_bits offered with a value and not answered",
    section: "7.1.2.2",
    offer: { clientMaxWindowBits: 11 },
    answer: "permessage-deflate",
    parameters: { ...DEFAULTS, clientMaxWindowBits: 11 },
  },
  {
    name: "our own client_no_context_takeover holds without an answer",
    section: "7.1.1.2",
    offer: { clientNoContextTakeover: true },
    answer: "permessage-deflate",
    parameters: { ...DEFAULTS, clientNoContextTakeover: true },
  },
  {
    name: "every parameter, the window bits quoted",
    section: "7.1",
    offer: { serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
    answer:
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits="15"; client_max_window_bits=15',
    parameters: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    },
  },
];

/** An offer and an answer that must fail the connection. */
export interface BadAnswerVector {
  readonly name: string;
  readonly section: string;
  readonly offer: PerMessageDeflateOptions;
  readonly answer: string;
  /** The reason inside the HandshakeError message. */
  readonly reason: string;
}

/** Answers that must fail the connection with `INVALID_EXTENSIONS`. */
export const BAD_ANSWERS: readonly BadAnswerVector[] = [
  {
    name: "an unknown parameter",
    section: "7",
    offer: {},
    answer: "permessage-deflate; mystery",
    reason: "unknown parameter mystery",
  },
  {
    name: "a repeated parameter",
    section: "7",
    offer: {},
    answer: "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    reason: "parameter server_no_context_takeover given more than once",
  },
  {
    name: "a value on server_no_context_takeover",
    section: "7.1.1.1",
    offer: {},
    answer: "permessage-deflate; server_no_context_takeover=1",
    reason: "parameter server_no_context_takeover has a value, 1, but takes none",
  },
  {
    name: "a value on client_no_context_takeover",
    section: "7.1.1.2",
    offer: {},
    answer: "permessage-deflate; client_no_context_takeover=yes",
    reason: "parameter client_no_context_takeover has a value, yes, but takes none",
  },
  {
    name: "server_max_window_bits without a value",
    section: "7.1.2.1",
    offer: {},
    answer: "permessage-deflate; server_max_window_bits",
    reason: "parameter server_max_window_bits has no value",
  },
  {
    name: "client_max_window_bits without a value",
    section: "7.1.2.2",
    offer: {},
    answer: "permessage-deflate; client_max_window_bits",
    reason: "parameter client_max_window_bits has no value",
  },
  {
    name: "window bits below 8",
    section: "7.1.2.1",
    offer: {},
    answer: "permessage-deflate; server_max_window_bits=7",
    reason: "server_max_window_bits=7 is not an integer from 8 to 15 without leading zeros",
  },
  {
    name: "window bits above 15",
    section: "7.1.2.2",
    offer: {},
    answer: "permessage-deflate; client_max_window_bits=16",
    reason: "client_max_window_bits=16 is not an integer from 8 to 15 without leading zeros",
  },
  {
    name: "window bits with a leading zero",
    section: "7.1.2.1",
    offer: {},
    answer: "permessage-deflate; server_max_window_bits=09",
    reason: "server_max_window_bits=09 is not an integer from 8 to 15 without leading zeros",
  },
  {
    name: "server_max_window_bits above the offer",
    section: "7.1.2.1",
    offer: { serverMaxWindowBits: 10 },
    answer: "permessage-deflate; server_max_window_bits=11",
    reason: "server_max_window_bits=11 is above the 10 offered",
  },
  {
    name: "server_max_window_bits offered and not answered",
    section: "7.1.2.1",
    offer: { serverMaxWindowBits: 10 },
    answer: "permessage-deflate",
    reason: "server_max_window_bits was offered and not accepted",
  },
  {
    name: "client_max_window_bits above the offer",
    section: "7.1.2.2",
    offer: { clientMaxWindowBits: 10 },
    answer: "permessage-deflate; client_max_window_bits=12",
    reason: "client_max_window_bits=12 is above the 10 offered",
  },
  {
    name: "client_max_window_bits answered though not offered",
    section: "7.1.2.2",
    offer: { clientMaxWindowBits: false },
    answer: "permessage-deflate; client_max_window_bits=12",
    reason: "client_max_window_bits was not offered",
  },
  {
    name: "server_no_context_takeover offered and not answered",
    section: "7.1.1.1",
    offer: { serverNoContextTakeover: true },
    answer: "permessage-deflate",
    reason: "server_no_context_takeover was offered and not accepted",
  },
];
