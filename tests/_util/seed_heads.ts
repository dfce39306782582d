/**
 * Compares an HTTP head we build with the seed library's bytes for the same
 * input, field by field: the seed differs in what HTTP leaves free (header
 * order, "Upgrade: WebSocket" spelling, reason phrases) and in a few
 * deliberate choices (its `Content-Length: 8` before hybi-00's key3), which
 * a byte comparison would report instead of real differences.
 *
 * @module
 */

import assert from "node:assert/strict";

/** A head split into its first line, fields and body. */
export interface ParsedHead {
  /** The request line or status line. */
  readonly line: string;
  /** Lower-cased names to their values, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The bytes after the empty line. */
  readonly body: Uint8Array;
}

/**
 * Splits a head (CRLF line ends) into line, fields and body.
 *
 * @param bytes The head and what follows it.
 * @returns The parts.
 */
export function parseHead(bytes: Uint8Array): ParsedHead {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  const end = text.indexOf("\r\n\r\n");
  assert.notEqual(end, -1, "the head has no empty line");
  const [line, ...fields] = text.slice(0, end).split("\r\n");
  const headers = new Map<string, string[]>();
  for (const field of fields) {
    const colon = field.indexOf(":");
    const name = field.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), field.slice(colon + 1).trim()]);
  }
  return { line: line!, headers, body: bytes.subarray(end + 4) };
}

/** What {@linkcode assertSameHead} tolerates. */
export interface SameHeadOptions {
  /** Fields to leave out on both sides (lower-case). */
  readonly ignore?: readonly string[];
  /** Compare only the status code of status lines, not the reason phrase. */
  readonly statusCodeOnly?: boolean;
}

/** Fields whose values compare ASCII case-insensitively (RFC 6455 §4.1, §4.2.1). */
const CASE_INSENSITIVE = new Set(["upgrade", "connection"]);

/**
 * Asserts that two heads carry the same line, fields and body.
 *
 * @param ours Our bytes.
 * @param seeds The seed's bytes.
 * @param options Fields to ignore, and whether reason phrases may differ.
 */
export function assertSameHead(
  ours: Uint8Array,
  seeds: Uint8Array,
  options: SameHeadOptions = {},
): void {
  const a = parseHead(ours);
  const b = parseHead(seeds);
  if (options.statusCodeOnly) {
    assert.equal(a.line.split(" ").slice(0, 2).join(" "), b.line.split(" ").slice(0, 2).join(" "));
  } else {
    assert.equal(a.line, b.line);
  }
  const ignore = new Set(options.ignore ?? []);
  const fields = (head: ParsedHead) =>
    Object.fromEntries(
      [...head.headers].filter(([name]) => !ignore.has(name)).map((
        [name, values],
      ) => [
        name,
        CASE_INSENSITIVE.has(name) ? values.map((value) => value.toLowerCase()) : values,
      ]),
    );
  assert.deepEqual(fields(a), fields(b));
  assert.deepEqual([...a.body], [...b.body]);
}
