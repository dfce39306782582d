/**
 * A seeded fuzzer of the protocol core: valid client and server byte
 * streams of all four protocol versions (made by wsport's own client and
 * server talking to each other), mutated (bit flips, byte and length-field
 * edits, truncations, insertions, deletions, duplications, splices, random
 * bytes) and fed in random splits to a fresh `ClientConnection` or
 * `ServerConnection`, checking the contract on every input:
 *
 * - nothing throws;
 * - exactly one `close` event, last; at most one `fail` event, before it,
 *   and a failed connection never closes cleanly;
 * - what the connection wrote is well formed: frames (RFC 6455, hybi-10)
 *   or 0x00…0xFF / 0xFF 0x00 frames (hybi-00), at most one close frame,
 *   nothing after it, a valid close code, the end-of-stream marker last;
 * - no input takes more than a second (nothing hangs), and memory stays
 *   under a bound.
 *
 * `scripts/fuzz.ts` runs it with a budget; `tests/property/fuzz_test.ts`
 * runs a seeded slice in CI.
 *
 * @module
 */

import { concatBytes } from "../../src/protocol/encoding/_bytes.ts";
import { decodeClosePayload, isReceivableCloseCode } from "../../src/protocol/frames/close_code.ts";
import { Connection } from "../../src/protocol/connection/connection.ts";
import type { ConnectionEvent } from "../../src/protocol/connection/events.ts";
import { LegacyConnection } from "../../src/protocol/legacy/legacy_connection.ts";
import { FrameParser } from "../../src/protocol/frames/frame_parser.ts";
import {
  type ClientProtocolConnection,
  createClientConnection,
} from "../../src/protocol/create_client_connection.ts";
import {
  isLegacyVersion,
  PROTOCOL_VERSIONS,
  type ProtocolVersion,
} from "../../src/protocol/protocol_version.ts";
import {
  ServerConnection,
  type ServerConnectionEvent,
} from "../../src/protocol/server/server_connection.ts";

/** A 32-bit seeded generator (mulberry32): the same seed gives the same inputs on every runtime. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in `[0, n)`. */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** The deterministic `randomBytes` every fuzzed client uses, so its key matches the corpus's. */
function keySource(): (n: number) => Uint8Array<ArrayBuffer> {
  const prng = new Prng(42);
  return (n) => prng.bytes(n);
}

const LIMITS = { maxMessageSize: 64 * 1024, maxFragments: 64, maxHandshakeSize: 4096 } as const;
const URL = "ws://fuzz.test/chat";

/** Valid streams of one conversation: what the client wrote and what the server wrote. */
export interface Conversation {
  readonly version: ProtocolVersion;
  /** The client's request head, then its frames. */
  readonly client: Uint8Array;
  /** The server's response head, then its frames. */
  readonly server: Uint8Array;
  /** The client's frames alone (after the request head, and key3 for hybi-00). */
  readonly clientFrames: Uint8Array;
  /** The server's frames alone (after the response head, and the answer for hybi-00). */
  readonly serverFrames: Uint8Array;
}

function newClient(version: ProtocolVersion): ClientProtocolConnection {
  return createClientConnection(URL, {
    ...LIMITS,
    protocolVersion: version,
    randomBytes: keySource(),
    ...(isLegacyVersion(version) ? {} : { protocols: ["chat"] }),
  });
}

/** The conversations the mutations start from: messages of several sizes, fragments, controls, closes. */
export function buildCorpus(): Conversation[] {
  const corpus: Conversation[] = [];
  // Lengths at the edges of the 7-bit and 16-bit forms; the 64-bit form comes from length-field edits.
  const sizes = [0, 5, 125, 126, 300];
  for (const version of PROTOCOL_VERSIONS) {
    const legacy = isLegacyVersion(version);
    for (const size of sizes) {
      for (const closer of ["client", "server"] as const) {
        const client = newClient(version);
        const server = new ServerConnection({
          ...LIMITS,
          selectProtocol: (offered) => offered[0]!,
        });
        const clientOut: Uint8Array[] = [...client.dataToSend()];
        const serverOut: Uint8Array[] = [];
        const pump = () => {
          for (let moved = true; moved;) {
            moved = false;
            for (const chunk of client.dataToSend()) {
              clientOut.push(chunk);
              if (chunk.length > 0) server.receiveData(chunk);
              moved = true;
            }
            for (const event of server.eventsReceived()) {
              if (event.type === "request") server.accept();
            }
            for (const chunk of server.dataToSend()) {
              serverOut.push(chunk);
              if (chunk.length > 0) client.receiveData(chunk);
              moved = true;
            }
            client.eventsReceived();
          }
        };
        server.receiveData(concatBytes(clientOut));
        pump();
        const text = "é".repeat(size >> 1) + "x".repeat(size & 1);
        server.sendText(text);
        client.sendText(text);
        if (!legacy) {
          server.sendBinary(new Uint8Array(size).fill(0xa5));
          client.sendBinary(new Uint8Array(size).fill(0x5a));
          server.sendText("frag", false);
          server.sendPing(new Uint8Array([1, 2, 3]));
          server.sendPing();
          client.sendPing(new Uint8Array([9]));
        }
        pump();
        if (closer === "client") client.sendClose(1000, "bye");
        else server.sendClose(1001, "going");
        pump();
        client.receiveEof();
        server.receiveEof();
        pump();
        const clientBytes = concatBytes(clientOut.filter((chunk) => chunk.length > 0));
        const serverBytes = concatBytes(serverOut.filter((chunk) => chunk.length > 0));
        corpus.push({
          version,
          client: clientBytes,
          server: serverBytes,
          clientFrames: clientBytes.subarray(
            headEnd(clientBytes) + (version === "hybi-00" ? 8 : 0),
          ),
          serverFrames: serverBytes.subarray(
            headEnd(serverBytes) + (version === "hybi-00" ? 16 : 0),
          ),
        });
      }
    }
  }
  return corpus;
}

const INTERESTING = [
  0x00,
  0x01,
  0x7d,
  0x7e,
  0x7f,
  0x80,
  0x81,
  0x82,
  0x88,
  0x89,
  0x8a,
  0xff,
  0x0d,
  0x0a,
];

/** One mutation of `bytes` (a new array). */
function mutateOnce(bytes: Uint8Array, prng: Prng, corpus: readonly Conversation[]): Uint8Array {
  const n = bytes.length;
  const at = prng.below(n + 1);
  switch (prng.below(10)) {
    case 0:
    case 1: { // bit flips
      const out = bytes.slice();
      for (let k = 1 + prng.below(8); k > 0 && n > 0; k--) {
        out[prng.below(n)]! ^= 1 << prng.below(8);
      }
      return out;
    }
    case 2: { // an interesting byte
      const out = bytes.slice();
      if (n > 0) out[prng.below(n)] = INTERESTING[prng.below(INTERESTING.length)]!;
      return out;
    }
    case 3: { // a length field: 7-bit, 16-bit or 64-bit form, with edge values
      const forms = [
        [prng.below(126)],
        [126, prng.below(2) === 0 ? 0 : 0xff, prng.next() & 0xff],
        [127, ...(prng.below(2) === 0 ? [0, 0, 0, 0, 0, 1, 0, 0] : [...prng.bytes(8)])],
      ];
      const field = forms[prng.below(3)]!;
      const out = bytes.slice();
      const start = Math.max(0, Math.min(n - 1, at));
      for (let i = 0; i < field.length && start + i < n; i++) {
        out[start + i] = (out[start + i]! & (i === 0 ? 0x80 : 0)) | field[i]!;
      }
      return out;
    }
    case 4: // truncation
      return bytes.slice(0, at);
    case 5: // insertion of random bytes
      return concatBytes([
        bytes.subarray(0, at),
        prng.bytes(1 + prng.below(16)),
        bytes.subarray(at),
      ]);
    case 6: { // deletion
      const end = Math.min(n, at + 1 + prng.below(16));
      return concatBytes([bytes.subarray(0, at), bytes.subarray(end)]);
    }
    case 7: { // duplication of a slice
      const end = Math.min(n, at + 1 + prng.below(64));
      return concatBytes([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
    }
    case 8: { // splice with another stream of the corpus
      const other = corpus[prng.below(corpus.length)]!;
      const source = prng.below(2) === 0 ? other.client : other.server;
      const from = prng.below(source.length + 1);
      return concatBytes([
        bytes.subarray(0, at),
        source.subarray(from, from + 1 + prng.below(200)),
      ]);
    }
    default: // random bytes after a prefix
      return concatBytes([bytes.subarray(0, at), prng.bytes(prng.below(64))]);
  }
}

/** Cuts `bytes` into random chunks (sometimes one byte at a time). */
function split(bytes: Uint8Array, prng: Prng): Uint8Array[] {
  if (bytes.length <= 64 && prng.below(8) === 0) {
    return [...bytes].map((byte) => new Uint8Array([byte]));
  }
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (let cuts = prng.below(6); cuts > 0 && start < bytes.length; cuts--) {
    const end = start + prng.below(bytes.length - start + 1);
    chunks.push(bytes.subarray(start, end));
    start = end;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Checks RFC 6455 frames written by a connection: at most one close frame, last, with a valid code. */
function checkFrames(bytes: Uint8Array, masked: boolean): string | null {
  const parser = new FrameParser({ maxFrameSize: 1 << 30, expectMask: masked });
  parser.push(bytes);
  let closes = 0;
  try {
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      if (closes > 0) return `a frame (opcode ${frame.opcode}) after our close frame`;
      if (frame.opcode === 0x8) {
        closes++;
        if (frame.payload.length > 0) {
          const { code } = decodeClosePayload(frame.payload);
          if (!isReceivableCloseCode(code)) return `our close frame has code ${code}`;
        }
      }
    }
  } catch (error) {
    return `we wrote a malformed frame: ${(error as Error).message}`;
  }
  if (parser.bufferedAmount !== 0) return "we wrote a partial frame";
  return null;
}

/** Checks hybi-00 / hixie-75 frames: text frames, then at most one 0xFF 0x00 close frame, last. */
function checkLegacyFrames(bytes: Uint8Array): string | null {
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] === 0x00) {
      const end = bytes.indexOf(0xff, i + 1);
      if (end === -1) return "we wrote an unterminated text frame";
      i = end + 1;
    } else if (bytes[i] === 0xff && bytes[i + 1] === 0x00) {
      if (i + 2 !== bytes.length) return "bytes after our close frame";
      return null;
    } else {
      return `we wrote a frame starting with 0x${bytes[i]!.toString(16)}`;
    }
  }
  return null;
}

/** Where an HTTP head ends (after its empty line). */
function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) {
      return i + 1;
    }
  }
  return bytes.length;
}

/** The end of an HTTP head (and, after a hybi-00 101, the 16-byte answer) in what a server wrote. */
function afterServerHead(bytes: Uint8Array, version: ProtocolVersion): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) {
      // A refusal's body is not frames: nothing after its head is checked.
      const switching = bytes[9] === 0x31 && bytes[10] === 0x30 && bytes[11] === 0x31; // "101"
      if (!switching) return bytes.length;
      return i + 1 + (version === "hybi-00" ? 16 : 0);
    }
  }
  return bytes.length;
}

type Fuzzed = ClientProtocolConnection | ServerConnection | Connection | LegacyConnection;

/** A connection past its handshake, for inputs of frames alone (cheaper: no head to parse). */
function openConnection(side: "client" | "server", version: ProtocolVersion): Fuzzed {
  return isLegacyVersion(version)
    ? new LegacyConnection(side, version, "open", LIMITS)
    : new Connection(side, "open", { ...LIMITS, randomBytes: keySource() });
}

/** Inputs that ended in a `fail` event so far (counted by {@linkcode runOne}). */
let failedInputs = 0;

/** Feeds one input to a fresh connection and checks the contract; returns what broke, or `null`. */
export function runOne(
  side: "client" | "server",
  version: ProtocolVersion,
  chunks: readonly Uint8Array[],
  open = false,
): string | null {
  const connection: Fuzzed = open
    ? openConnection(side, version)
    : side === "client"
    ? newClient(version)
    : new ServerConnection({ ...LIMITS, selectProtocol: (offered) => offered[0]! });
  if (side === "client" && !open) connection.dataToSend(); // the request, not under test
  const events: (ConnectionEvent | ServerConnectionEvent)[] = [];
  const output: Uint8Array[] = [];
  let eofAt = -1;
  const step = () => {
    for (let again = true; again;) {
      for (const event of connection.eventsReceived()) {
        events.push(event);
        if (event.type === "request") (connection as ServerConnection).accept();
        // An application that answers every message, as the driver's users do.
        if (event.type === "message" && connection.state === "open") connection.sendText("re");
      }
      again = connection.releaseFailure();
      for (const chunk of connection.dataToSend()) {
        if (eofAt !== -1) throw new Error("bytes after the end-of-stream marker");
        if (chunk.length === 0) eofAt = output.length;
        else output.push(chunk);
      }
    }
  };
  try {
    for (const chunk of chunks) {
      connection.receiveData(chunk);
      step();
    }
    connection.receiveEof();
    step();
  } catch (error) {
    return `threw ${(error as Error)?.stack ?? error}`;
  }
  if (connection.closeExpected()) return "closeExpected() after the end of the stream";
  const closes = events.filter((event) => event.type === "close");
  if (closes.length !== 1) return `${closes.length} close events`;
  if (events.at(-1)?.type !== "close") return "the close event is not last";
  const fails = events.filter((event) => event.type === "fail");
  if (fails.length > 1) return `${fails.length} fail events`;
  if (fails.length === 1) failedInputs++;
  const close = closes[0]!;
  if (close.type !== "close") return "unreachable";
  if (fails.length === 1 && close.wasClean) return "a failed connection closed cleanly";
  if (close.wasClean !== (close.error === null) && close.wasClean) {
    return "a clean close with an error";
  }
  if (!close.wasClean && close.code !== 1006) return `an unclean close with code ${close.code}`;
  let written = concatBytes(output);
  // A server speaks the version the request asked for, whatever the corpus meant.
  if (side === "server" && !open) {
    version = (connection as ServerConnection).protocolVersion ?? version;
    written = written.subarray(afterServerHead(written, version));
  }
  return isLegacyVersion(version)
    ? checkLegacyFrames(written)
    : checkFrames(written, side === "client");
}

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  /** The seed: the same seed gives the same inputs everywhere. */
  readonly seed: number;
  /** How many inputs. */
  readonly inputs: number;
  /** Fails the run past this resident set size, in bytes. @default 1 GiB */
  readonly maxRss?: number;
  /** Called every 100 000 inputs. */
  readonly progress?: (report: FuzzReport) => void;
  /** Called with each contract violation as it is found. */
  readonly onViolation?: (text: string) => void;
  /** The process's resident set size in bytes (injected: `process.memoryUsage().rss`). */
  readonly rss: () => number;
}

/** What {@linkcode runFuzz} found. */
export interface FuzzReport {
  readonly seed: number;
  /** Inputs run. */
  readonly inputs: number;
  /** Of those, inputs that ended in a failure (a `fail` event). */
  readonly failures: number;
  /** Inputs per protocol version and side. */
  readonly perTarget: Readonly<Record<string, number>>;
  /** Contract violations: the first ten, with their input. */
  readonly violations: readonly string[];
  readonly violationCount: number;
  readonly elapsedMs: number;
  /** The slowest input, in milliseconds. */
  readonly slowestMs: number;
  /** Inputs that took over a second once but not when run again (the machine was busy). */
  readonly stalls: number;
  readonly peakRss: number;
}

/**
 * Runs `inputs` mutated inputs from `seed`.
 *
 * @param options The seed, the budget and the memory probe.
 * @returns The report; `violationCount` is 0 when the contract held.
 */
export function runFuzz(options: FuzzOptions): FuzzReport {
  const corpus = buildCorpus();
  const prng = new Prng(options.seed);
  const maxRss = options.maxRss ?? 1024 * 1024 * 1024;
  const perTarget: Record<string, number> = {};
  const violations: string[] = [];
  let violationCount = 0;
  let failures = 0;
  let slowestMs = 0;
  let stalls = 0;
  let peakRss = options.rss();
  const started = performance.now();
  const report = (inputs: number): FuzzReport => ({
    seed: options.seed,
    inputs,
    failures,
    perTarget,
    violations,
    violationCount,
    elapsedMs: performance.now() - started,
    slowestMs,
    stalls,
    peakRss,
  });
  for (let i = 0; i < options.inputs; i++) {
    const conversation = corpus[prng.below(corpus.length)]!;
    const side = prng.below(2) === 0 ? "client" : "server";
    // One input in four goes through the opening handshake; the others are
    // frames fed to an open connection, which costs a fraction as much.
    const open = prng.below(4) !== 0;
    let bytes: Uint8Array = side === "client"
      ? (open ? conversation.serverFrames : conversation.server)
      : (open ? conversation.clientFrames : conversation.client);
    for (let m = prng.below(4); m > 0; m--) bytes = mutateOnce(bytes, prng, corpus);
    const chunks = split(bytes, prng);
    const key = `${conversation.version}/${side}${open ? "" : "+handshake"}`;
    perTarget[key] = (perTarget[key] ?? 0) + 1;
    const before = performance.now();
    const failuresBefore = failedInputs;
    const problem = runOne(side, conversation.version, chunks, open);
    const took = performance.now() - before;
    if (took > slowestMs) slowestMs = took;
    const violation = (what: string) => {
      violationCount++;
      const text = `input ${i} (${key}, ${chunks.length} chunks): ${what}\n  bytes: ${
        Array.from(bytes.subarray(0, 512), (b) => b.toString(16).padStart(2, "0")).join("")
      }`;
      if (violations.length < 10) violations.push(text);
      options.onViolation?.(text);
    };
    if (took > 1000 && problem === null) {
      // A second over a second is a hang; one slow run alone is the machine
      // (a busy CPU, a collection): the input is run again to tell them apart.
      const again = performance.now();
      runOne(side, conversation.version, chunks, open);
      const retook = performance.now() - again;
      if (retook > 1000) violation(`took ${took.toFixed(0)} ms, then ${retook.toFixed(0)} ms`);
      else stalls++;
    }
    if (problem !== null) violation(problem);
    if (failedInputs !== failuresBefore) failures++;
    if ((i + 1) % 100_000 === 0) {
      const rss = options.rss();
      if (rss > peakRss) peakRss = rss;
      if (rss > maxRss) {
        violationCount++;
        violations.push(`input ${i}: resident set ${rss} bytes, over ${maxRss}`);
        return report(i + 1);
      }
      options.progress?.(report(i + 1));
    }
  }
  const rss = options.rss();
  if (rss > peakRss) peakRss = rss;
  return report(options.inputs);
}
