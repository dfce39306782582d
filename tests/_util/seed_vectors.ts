/**
 * A typed loader for the seed library's vectors,
 * `../shared/vectors/protocol-websocket.json` next to the repository root.
 *
 * The file is found from any runtime, and from a compiled copy of the tests
 * elsewhere in the tree, by walking up from this module to the directory
 * holding `deno.json`. `WSPORT_SEED_VECTORS` overrides the path. When the
 * file is absent, {@linkcode describeSeedVectors} registers one skipped test
 * that says so (Deno and Bun both print it; Bun silently drops a skipped
 * `describe`), and {@linkcode SEED_VECTORS_SKIP} holds the message.
 *
 * Entries of category "quirk" record the seed library's bugs: they are
 * never targets, and {@linkcode seedVectors} leaves them out unless asked.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * Bytes as the file encodes them: lowercase hex, `{repeat, count}`,
 * `{concat: [...]}`, or `{hex, text?}` for handshake bytes.
 */
export type SeedBytes =
  | string
  | { readonly repeat: string; readonly count: number }
  | { readonly concat: readonly SeedBytes[] }
  | { readonly hex: string; readonly text?: string };

/** The vector categories of the file. */
export type SeedCategory =
  | "defaults"
  | "accept-key"
  | "hybi00-key"
  | "hybi00-checksum"
  | "url"
  | "cookie"
  | "frame-encode"
  | "frame-decode"
  | "handshake-request-parse"
  | "handshake-request-build"
  | "handshake-response-build"
  | "handshake-response-parse"
  | "handshake-server"
  | "handshake-client"
  | "quirk";

/** One vector; `input` and `expect` depend on `op` (see the typed views below). */
export interface SeedVector {
  readonly id: string;
  readonly category: SeedCategory;
  readonly op: string;
  readonly what: string;
  readonly source: string;
  readonly version?: string;
  readonly note?: string;
  readonly quirk?: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly expect: unknown;
}

/** An "accept" vector: the Sec-WebSocket-Accept for a key. */
export interface SeedAcceptVector extends SeedVector {
  readonly input: { readonly key: string };
  readonly expect: { readonly accept: string };
}

/** A "url.parse" vector. */
export interface SeedUrlParseVector extends SeedVector {
  readonly input: { readonly url: string };
  readonly expect: {
    readonly host: string;
    readonly port: number;
    readonly resource_name: string;
    readonly secure: 0 | 1;
  };
}

/** A "url.to_string" vector. */
export interface SeedUrlToStringVector extends SeedVector {
  readonly input: { readonly host: string; readonly port: number };
  readonly expect: { readonly url: string };
}

/** A "handshake.response.parse" vector. */
export interface SeedResponseParseVector extends SeedVector {
  readonly input: { readonly chunks: readonly SeedBytes[]; readonly max_message_size?: number };
  readonly expect: {
    readonly done?: number;
    readonly error?: string;
    readonly state?: string;
    readonly leftover_hex?: string;
    readonly subprotocol?: string;
    readonly version?: string;
  };
}

/** One step of a "handshake.client" vector. */
export interface SeedClientStep {
  readonly to_string?: SeedBytes;
  readonly parse?: SeedBytes;
  readonly ok?: number;
  readonly leftover_hex?: string;
  readonly check?: { readonly error?: string | null; readonly is_done?: number };
}

/** A "handshake.client" vector. */
export interface SeedClientVector extends SeedVector {
  readonly input: {
    readonly url?: string;
    readonly mock?: { readonly key?: string };
    readonly steps: readonly SeedClientStep[];
  };
}

/** The whole file. */
export interface SeedVectorFile {
  readonly about: string;
  readonly bytes_encoding: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly vectors: readonly SeedVector[];
}

const FILE_NAME = "protocol-websocket.json";

/** Walks up from this module to the directory holding deno.json (the repository root). */
function findPath(): string | null {
  const override = process.env.WSPORT_SEED_VECTORS;
  if (override !== undefined && override !== "") return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (true) {
    if (existsSync(join(dir, "deno.json"))) {
      return resolve(dir, "..", "shared", "vectors", FILE_NAME);
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Where the file is expected, or `null` when no repository root was found. */
export const SEED_VECTORS_PATH: string | null = findPath();

function load(): SeedVectorFile | null {
  if (SEED_VECTORS_PATH === null || !existsSync(SEED_VECTORS_PATH)) return null;
  return JSON.parse(readFileSync(SEED_VECTORS_PATH, "utf8")) as SeedVectorFile;
}

/** The parsed file, or `null` when it is absent. */
export const SEED_VECTORS: SeedVectorFile | null = load();

/** `false` when the file is there, else the reason to skip seed-vector tests. */
export const SEED_VECTORS_SKIP: string | false = SEED_VECTORS !== null
  ? false
  : `seed vectors not found (looked for ${SEED_VECTORS_PATH ?? `${FILE_NAME} above a deno.json`})`;

/**
 * The vectors of one category (quirks only when asked for by name).
 *
 * @param category The category.
 * @returns The vectors, empty when the file is absent.
 */
export function seedVectors(category: SeedCategory): SeedVector[] {
  return (SEED_VECTORS?.vectors ?? []).filter((vector) => vector.category === category);
}

/**
 * One vector by id.
 *
 * @param id The vector id.
 * @returns The vector.
 * @throws {Error} When the file is loaded and has no such vector.
 */
export function seedVector<T extends SeedVector = SeedVector>(id: string): T {
  const vector = SEED_VECTORS?.vectors.find((item) => item.id === id);
  if (vector === undefined) throw new Error(`Cannot find seed vector ${id}`);
  return vector as T;
}

/**
 * Decodes the file's byte encoding.
 *
 * @param value Bytes as the file writes them.
 * @returns The bytes.
 */
export function seedBytes(value: SeedBytes): Uint8Array<ArrayBuffer> {
  if (typeof value === "string") return fromHex(value);
  if ("hex" in value) return fromHex(value.hex);
  if ("repeat" in value) {
    const unit = fromHex(value.repeat);
    const out = new Uint8Array(unit.length * value.count);
    for (let i = 0; i < value.count; i++) out.set(unit, i * unit.length);
    return out;
  }
  const parts = value.concat.map(seedBytes);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * `describe()` for tests that need the seed vectors: when the file is absent,
 * registers a single skipped test named after the group, with the reason.
 *
 * @param name The group name.
 * @param body Registers the tests.
 */
export function describeSeedVectors(name: string, body: () => void): void {
  if (SEED_VECTORS_SKIP === false) describe(name, body);
  else it(`${name} (skipped: ${SEED_VECTORS_SKIP})`, { skip: SEED_VECTORS_SKIP }, () => {});
}
