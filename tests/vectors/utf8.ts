/**
 * UTF-8 vectors (RFC 6455 §8.1, RFC 3629 §4 and the WHATWG UTF-8 decoder):
 * valid text, every class of invalid sequence, and sequences split over
 * fragments.
 *
 * A vector is a list of fragments, the payloads of the frames of one text
 * message. `failsAt` is the index of the first fragment at which the text is
 * known to be invalid; a fail-fast validator must refuse exactly that
 * fragment and accept the ones before it. `failsAt` equal to
 * `fragments.length` means the text is only known to be invalid at the end
 * of the message (a truncated code point).
 *
 * @module
 */

/** One UTF-8 case. */
export interface Utf8Vector {
  /** What the case shows. */
  readonly name: string;
  /** The payloads of the frames of one text message, in order. */
  readonly fragments: readonly (readonly number[])[];
  /** The decoded text when valid, else `null`. */
  readonly text: string | null;
  /** For invalid text, the index of the fragment that makes it invalid (see the module doc). */
  readonly failsAt?: number;
}

function bytesOf(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

/** Valid text, in one fragment or split over several, including inside code points. */
export const VALID_UTF8: readonly Utf8Vector[] = [
  { name: "the empty text", fragments: [[]], text: "" },
  { name: "ASCII text", fragments: [bytesOf("Hello")], text: "Hello" },
  { name: "a 2-byte code point (U+00E9)", fragments: [[0xc3, 0xa9]], text: "\u00e9" },
  { name: "a 3-byte code point (U+20AC)", fragments: [[0xe2, 0x82, 0xac]], text: "\u20ac" },
  {
    name: "a 4-byte code point (U+1F600)",
    fragments: [[0xf0, 0x9f, 0x98, 0x80]],
    text: "\u{1f600}",
  },
  {
    name: "the last code point before the surrogates (U+D7FF)",
    fragments: [[0xed, 0x9f, 0xbf]],
    text: "\ud7ff",
  },
  {
    name: "the first code point after the surrogates (U+E000)",
    fragments: [[0xee, 0x80, 0x80]],
    text: "\ue000",
  },
  { name: "U+FFFF", fragments: [[0xef, 0xbf, 0xbf]], text: "\uffff" },
  {
    name: "the largest code point (U+10FFFF)",
    fragments: [[0xf4, 0x8f, 0xbf, 0xbf]],
    text: "\u{10ffff}",
  },
  {
    name: "a byte order mark, which is kept",
    fragments: [[0xef, 0xbb, 0xbf, 0x61]],
    text: "\ufeffa",
  },
  { name: "a NUL character", fragments: [[0x00]], text: "\u0000" },
  {
    name: "mixed text (the Autobahn case 6.2.1 sample)",
    fragments: [
      bytesOf(
        "\u03ba\u1f79\u03c3\u03bc\u03b5\u0020\u0048\u0065\u006c\u006c\u006f\u002d\u00b5\u0040\u00df\u00f6\u00e4\u00fc\u00e0\u00e1\u002d\u0055\u0054\u0046\u002d\u0038\u0021\u0021",
      ),
    ],
    text:
      "\u03ba\u1f79\u03c3\u03bc\u03b5\u0020\u0048\u0065\u006c\u006c\u006f\u002d\u00b5\u0040\u00df\u00f6\u00e4\u00fc\u00e0\u00e1\u002d\u0055\u0054\u0046\u002d\u0038\u0021\u0021",
  },
  {
    name: "text split between code points",
    fragments: [bytesOf("Hel"), bytesOf("lo")],
    text: "Hello",
  },
  {
    name: "a 2-byte code point split over two fragments",
    fragments: [[0x68, 0xc3], [0xa9]],
    text: "h\u00e9",
  },
  {
    name: "a 3-byte code point split after its first byte",
    fragments: [[0xe2], [0x82, 0xac]],
    text: "\u20ac",
  },
  {
    name: "a 3-byte code point split after its second byte",
    fragments: [[0xe2, 0x82], [0xac]],
    text: "\u20ac",
  },
  {
    name: "a 4-byte code point split over three fragments",
    fragments: [[0x68, 0xf0], [0x9f], [0x98, 0x80]],
    text: "h\u{1f600}",
  },
  {
    name: "a 4-byte code point one byte per fragment, with empty fragments between",
    fragments: [[0xf0], [], [0x9f], [0x98], [], [0x80]],
    text: "\u{1f600}",
  },
];

/** Invalid sequences in one fragment. */
export const INVALID_UTF8: readonly Utf8Vector[] = [
  { name: "a lone continuation byte 0x80", fragments: [[0x80]], text: null, failsAt: 0 },
  {
    name: "a lone continuation byte 0xBF after ASCII",
    fragments: [[0x61, 0xbf]],
    text: null,
    failsAt: 0,
  },
  {
    name: "an overlong 2-byte form of '/' (C0 AF)",
    fragments: [[0xc0, 0xaf]],
    text: null,
    failsAt: 0,
  },
  { name: "an overlong 2-byte form (C1 BF)", fragments: [[0xc1, 0xbf]], text: null, failsAt: 0 },
  {
    name: "an overlong 3-byte form of '/' (E0 80 AF)",
    fragments: [[0xe0, 0x80, 0xaf]],
    text: null,
    failsAt: 0,
  },
  {
    name: "an overlong 3-byte form of U+07FF (E0 9F BF)",
    fragments: [[0xe0, 0x9f, 0xbf]],
    text: null,
    failsAt: 0,
  },
  {
    name: "an overlong 4-byte form of '/' (F0 80 80 AF)",
    fragments: [[0xf0, 0x80, 0x80, 0xaf]],
    text: null,
    failsAt: 0,
  },
  {
    name: "an overlong 4-byte form of U+FFFF (F0 8F BF BF)",
    fragments: [[0xf0, 0x8f, 0xbf, 0xbf]],
    text: null,
    failsAt: 0,
  },
  {
    name: "the first high surrogate (ED A0 80)",
    fragments: [[0xed, 0xa0, 0x80]],
    text: null,
    failsAt: 0,
  },
  {
    name: "the last low surrogate (ED BF BF)",
    fragments: [[0xed, 0xbf, 0xbf]],
    text: null,
    failsAt: 0,
  },
  {
    name: "a surrogate pair encoded as two 3-byte forms (ED A0 BD ED B2 A9)",
    fragments: [[0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9]],
    text: null,
    failsAt: 0,
  },
  {
    name: "the first code point above U+10FFFF (F4 90 80 80)",
    fragments: [[0xf4, 0x90, 0x80, 0x80]],
    text: null,
    failsAt: 0,
  },
  {
    name: "a 4-byte form above U+10FFFF (F7 BF BF BF)",
    fragments: [[0xf7, 0xbf, 0xbf, 0xbf]],
    text: null,
    failsAt: 0,
  },
  ...[0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff].map((lead) => ({
    name: `the lead byte 0x${lead.toString(16).toUpperCase()}, never valid`,
    fragments: [[0x61, lead, 0x80, 0x80, 0x80]],
    text: null,
    failsAt: 0,
  })),
  {
    name: "a 2-byte sequence cut by ASCII (C3 28)",
    fragments: [[0xc3, 0x28]],
    text: null,
    failsAt: 0,
  },
  {
    name: "a 3-byte sequence cut by ASCII (E2 28 A1)",
    fragments: [[0xe2, 0x28, 0xa1]],
    text: null,
    failsAt: 0,
  },
  {
    name: "a 2-byte sequence truncated at the end of the message",
    fragments: [[0x61, 0xc3]],
    text: null,
    failsAt: 1,
  },
  {
    name: "a 3-byte sequence truncated at the end of the message",
    fragments: [[0xe2, 0x82]],
    text: null,
    failsAt: 1,
  },
  {
    name: "a 4-byte sequence truncated at the end of the message",
    fragments: [[0xf0, 0x9f, 0x98]],
    text: null,
    failsAt: 1,
  },
];

/** Invalid text over several fragments: the validator fails on the fragment that breaks it. */
export const INVALID_FRAGMENTED_UTF8: readonly Utf8Vector[] = [
  {
    name: "an invalid byte in the first of three fragments",
    fragments: [[0x61, 0xff], bytesOf("b"), bytesOf("c")],
    text: null,
    failsAt: 0,
  },
  {
    name: "a surrogate in the first of three fragments",
    fragments: [[0xed, 0xa0, 0x80], bytesOf("b"), bytesOf("c")],
    text: null,
    failsAt: 0,
  },
  {
    name: "a code point above U+10FFFF in the first of two fragments",
    fragments: [[0xf4, 0x90], [0x80, 0x80]],
    text: null,
    failsAt: 0,
  },
  {
    name: "a surrogate whose second byte starts the next fragment",
    fragments: [[0x61, 0xed], [0xa0, 0x80], bytesOf("c")],
    text: null,
    failsAt: 1,
  },
  {
    name: "an overlong form whose second byte starts the next fragment",
    fragments: [[0xe0], [0x80, 0xaf], bytesOf("c")],
    text: null,
    failsAt: 1,
  },
  {
    name: "an invalid byte in the middle fragment",
    fragments: [bytesOf("a"), [0xfe], bytesOf("c")],
    text: null,
    failsAt: 1,
  },
  {
    name: "a code point cut by the next fragment's ASCII",
    fragments: [[0x61, 0xe2, 0x82], [0x41]],
    text: null,
    failsAt: 1,
  },
  {
    name: "a code point truncated at the end of a fragmented message",
    fragments: [bytesOf("a"), [0xf0, 0x9f, 0x98]],
    text: null,
    failsAt: 2,
  },
];

/** Every vector. */
export const UTF8_VECTORS: readonly Utf8Vector[] = [
  ...VALID_UTF8,
  ...INVALID_UTF8,
  ...INVALID_FRAGMENTED_UTF8,
];

/**
 * The bytes of a vector's fragments, joined.
 *
 * @param vector A vector.
 * @returns Its bytes.
 */
export function joinFragments(vector: Utf8Vector): Uint8Array {
  return new Uint8Array(vector.fragments.flat());
}
