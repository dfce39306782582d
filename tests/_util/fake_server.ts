/**
 * A scripted WebSocket server over the in-memory connector, for tests of
 * the API layers: the test plays the server byte by byte, so it can answer
 * the handshake correctly, wrongly or not at all, send frames a real server
 * never would (masked, invalid UTF-8, too big), and decode exactly what the
 * client put on the wire.
 *
 * ```ts
 * const server = createFakeServer();
 * const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
 * const peer = await server.accept();
 * const request = await peer.readRequest();
 * peer.acceptHandshake(request);
 * peer.sendText("hello");
 * assert.deepEqual(await peer.readClose(), { code: 1000, reason: "" });
 * ```
 *
 * @module
 */

import { decodeClosePayload, encodeClosePayload } from "../../src/protocol/frames/close_code.ts";
import { encodeFrame, type Frame } from "../../src/protocol/frames/frame.ts";
import { FrameParser } from "../../src/protocol/frames/frame_parser.ts";
import { computeAcceptKey } from "../../src/protocol/handshake/handshake.ts";
import {
  createMemoryConnector,
  type MemoryConnector,
  type MemoryTransport,
} from "../../src/transport/memory.ts";
import type { ConnectOptions, Connector, Transport } from "../../src/transport/types.ts";

/** Opcodes, spelled out so the tests read like RFC 6455 §5.2. */
export const OP = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** The opening handshake request as the fake server read it. */
export interface FakeRequest {
  /** The request line, e.g. "GET /chat HTTP/1.1". */
  readonly requestLine: string;
  /** The method. */
  readonly method: string;
  /** The request target (resource name). */
  readonly target: string;
  /** Header lines as sent: names with their case, in order. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
  /** The whole head, as text (Latin-1). */
  readonly text: string;
  /** The value of a header (case-insensitive name; repeated ones joined with ", "), or `null`. */
  header(name: string): string | null;
  /** The `Sec-WebSocket-Key`. */
  readonly key: string;
}

/** A frame the client sent, unmasked, with whether it was masked. */
export interface ReceivedFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly payload: Uint8Array;
}

/** What {@linkcode FakePeer.acceptHandshake} may add to its 101 response. */
export interface AcceptOptions {
  /** `Sec-WebSocket-Protocol`. */
  readonly protocol?: string;
  /** `Sec-WebSocket-Extensions`. */
  readonly extensions?: string;
  /** More header lines, written as given. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Replaces the computed `Sec-WebSocket-Accept`. */
  readonly accept?: string;
  /** Bytes written in the same chunk right after the head (frames glued to the handshake). */
  readonly trailing?: Uint8Array;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** Latin-1 bytes of a string (one byte per code unit), for raw HTTP heads. */
export function latin1(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** Joins byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * Encodes one frame as a server sends it (unmasked), or masked with `mask`
 * to play a broken server.
 */
export function frameBytes(
  opcode: number,
  payload: string | Uint8Array = new Uint8Array(0),
  options: { fin?: boolean; rsv?: number; mask?: readonly number[] } = {},
): Uint8Array<ArrayBuffer> {
  const bytes = typeof payload === "string" ? utf8(payload) : payload;
  const frame: Frame = { fin: options.fin ?? true, rsv: options.rsv ?? 0, opcode, payload: bytes };
  const mask = options.mask === undefined ? null : new Uint8Array(options.mask);
  return concatBytes(...encodeFrame(frame, mask));
}

/** A close frame's bytes, as a server sends it. */
export function closeFrameBytes(code?: number, reason = ""): Uint8Array<ArrayBuffer> {
  return frameBytes(OP.Close, encodeClosePayload(code, reason));
}

/** The server's end of one connection. */
export class FakePeer {
  /** The server side of the memory transport pair. */
  readonly transport: MemoryTransport;
  #buffer: Uint8Array = new Uint8Array(0);
  #eof = false;
  #parser: FrameParser = new FrameParser({ maxFrameSize: 1 << 30, expectMask: true });
  #request: FakeRequest | null = null;

  /**
   * Wraps an accepted transport.
   *
   * @param transport The server side.
   */
  constructor(transport: MemoryTransport) {
    this.transport = transport;
  }

  /** The request read by {@linkcode readRequest}, if any. */
  get request(): FakeRequest | null {
    return this.#request;
  }

  /** Whether the client's end of stream was read. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Bytes written by the server and not yet read by the client. */
  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  /** Reads one more chunk into the buffer; `false` at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    let chunk: Uint8Array | null;
    try {
      chunk = await this.transport.read();
    } catch {
      chunk = null;
    }
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    this.#buffer = concatBytes(this.#buffer, chunk);
    return true;
  }

  /**
   * Reads the opening handshake request head (up to the empty line). The
   * bytes after it stay buffered for {@linkcode readFrame}.
   *
   * @returns The request.
   * @throws {Error} When the client ends the stream before the head is complete.
   */
  async readRequest(): Promise<FakeRequest> {
    let end: number;
    while ((end = indexOfHeadEnd(this.#buffer)) < 0) {
      if (!await this.#fill()) {
        throw new Error("fake server: the client ended the stream before the request head");
      }
    }
    const text = String.fromCharCode(...this.#buffer.subarray(0, end));
    this.#buffer = this.#buffer.slice(end);
    const lines = text.split("\r\n").slice(0, -2);
    const requestLine = lines[0] ?? "";
    const rawHeaders = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const [method = "", target = ""] = requestLine.split(" ");
    const header = (name: string): string | null => {
      const values = rawHeaders
        .filter(([key]) => key.toLowerCase() === name.toLowerCase())
        .map(([, value]) => value);
      return values.length === 0 ? null : values.join(", ");
    };
    this.#request = {
      requestLine,
      method,
      target,
      rawHeaders,
      text,
      header,
      key: header("sec-websocket-key") ?? "",
    };
    return this.#request;
  }

  /** Writes raw bytes (or Latin-1 text) to the client. */
  write(data: string | Uint8Array): boolean {
    return this.transport.write(typeof data === "string" ? latin1(data) : data);
  }

  /**
   * Answers the handshake with a valid 101 (unless `options.accept` spoils it).
   *
   * @param options Subprotocol, extensions, extra headers, trailing bytes.
   */
  acceptHandshake(options: AcceptOptions = {}): void {
    const request = this.#request;
    if (request === null) throw new Error("fake server: readRequest() first");
    const lines = [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Accept: ${options.accept ?? computeAcceptKey(request.key)}`,
    ];
    if (options.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${options.protocol}`);
    if (options.extensions !== undefined) {
      lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    }
    for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`);
    const head = latin1(lines.join("\r\n") + "\r\n\r\n");
    this.write(options.trailing === undefined ? head : concatBytes(head, options.trailing));
  }

  /** Reads the request and accepts it: the usual first two steps. */
  async handshake(options: AcceptOptions = {}): Promise<FakeRequest> {
    const request = await this.readRequest();
    this.acceptHandshake(options);
    return request;
  }

  /** Sends one frame (unmasked unless `options.mask`). */
  sendFrame(
    opcode: number,
    payload: string | Uint8Array = new Uint8Array(0),
    options: { fin?: boolean; rsv?: number; mask?: readonly number[] } = {},
  ): boolean {
    return this.write(frameBytes(opcode, payload, options));
  }

  /** Sends a text message. */
  sendText(text: string): boolean {
    return this.sendFrame(OP.Text, text);
  }

  /** Sends a binary message. */
  sendBinary(bytes: Uint8Array): boolean {
    return this.sendFrame(OP.Binary, bytes);
  }

  /** Sends a close frame (no payload when `code` is undefined). */
  sendClose(code?: number, reason = ""): boolean {
    return this.write(closeFrameBytes(code, reason));
  }

  /**
   * Reads the next frame the client sent, checking it was masked (the
   * parser refuses unmasked client frames).
   *
   * @returns The frame, or `null` at end of stream.
   * @throws {Error} (a `ProtocolError`) When the client's bytes are not valid frames.
   */
  async readFrame(): Promise<ReceivedFrame | null> {
    while (true) {
      if (this.#buffer.length > 0) {
        this.#parser.push(this.#buffer);
        this.#buffer = new Uint8Array(0);
      }
      const frame = this.#parser.next();
      if (frame !== null) {
        return {
          fin: frame.fin,
          rsv: frame.rsv,
          opcode: frame.opcode,
          payload: frame.payload.slice(),
        };
      }
      if (!await this.#fill()) {
        if (this.#parser.bufferedAmount > 0) {
          throw new Error("fake server: the client ended the stream in the middle of a frame");
        }
        return null;
      }
    }
  }

  /** Reads frames until end of stream. */
  async readFrames(): Promise<ReceivedFrame[]> {
    const frames: ReceivedFrame[] = [];
    let frame: ReceivedFrame | null;
    while ((frame = await this.readFrame()) !== null) frames.push(frame);
    return frames;
  }

  /**
   * Reads frames until a close frame, and returns its code and reason
   * (1005 when empty). Frames before it are returned in `before`.
   *
   * @throws {Error} At end of stream without a close frame.
   */
  async readClose(): Promise<{ code: number; reason: string; before: ReceivedFrame[] }> {
    const before: ReceivedFrame[] = [];
    while (true) {
      const frame = await this.readFrame();
      if (frame === null) throw new Error("fake server: end of stream without a close frame");
      if (frame.opcode === OP.Close) {
        return { ...decodeClosePayload(frame.payload), before };
      }
      before.push(frame);
    }
  }

  /**
   * Reads (and discards) until the client's end of stream.
   *
   * @returns The bytes read.
   */
  async readToEnd(): Promise<Uint8Array> {
    while (await this.#fill());
    const rest = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return rest;
  }

  /** Half-closes the server's side (TCP FIN). */
  closeWrite(): void {
    this.transport.closeWrite();
  }

  /** Closes the server's side. */
  close(): void {
    this.transport.close();
  }

  /** Resets the connection. */
  reset(): void {
    this.transport.reset();
  }

  /**
   * Plays the end of a clean close started by the client: reads its close
   * frame, echoes it, and ends the stream.
   *
   * @returns The client's close code and reason.
   */
  async answerClose(): Promise<{ code: number; reason: string; before: ReceivedFrame[] }> {
    const received = await this.readClose();
    this.sendClose(received.code === 1005 ? undefined : received.code);
    this.close();
    return received;
  }
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

/** A connector and the scripted peers behind it. */
export interface FakeServer {
  /** Pass as the `transport` option. */
  readonly connector: Connector;
  /** The client ends of the connections made, in order (to check they were closed). */
  readonly clients: readonly Transport[];
  /** The options of every connect call. */
  readonly requests: readonly ConnectOptions[];
  /** The next connection's server end. */
  accept(): Promise<FakePeer>;
  /** The underlying memory connector. */
  readonly memory: MemoryConnector;
}

/**
 * Creates a fake server.
 *
 * @param options The memory transport's high-water mark (small values test backpressure).
 * @returns The server.
 */
export function createFakeServer(options: { highWaterMark?: number } = {}): FakeServer {
  const memory = createMemoryConnector(
    options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark },
  );
  const clients: Transport[] = [];
  const peers: FakePeer[] = [];
  cleanups.push(() => {
    // Hang up both ends of every connection, so that no client waits on a timer.
    for (const peer of peers) peer.close();
    for (const client of clients) client.close();
  });
  return {
    async connector(connectOptions) {
      const transport = await memory.connector(connectOptions);
      clients.push(transport);
      return transport;
    },
    clients,
    requests: memory.requests,
    memory,
    async accept() {
      const peer = new FakePeer(await memory.accept());
      peers.push(peer);
      return peer;
    },
  };
}

const cleanups: Array<() => unknown> = [];

/**
 * Registers something to do after the current test (see {@linkcode cleanUp}).
 *
 * @param action E.g. closing a socket the test left open.
 */
export function onCleanUp(action: () => unknown): void {
  cleanups.push(action);
}

/**
 * Hangs up every connection of every fake server made since the last call
 * and runs the registered actions, then lets the clients report their close.
 * Use as `afterEach(cleanUp)`, so that a test that fails half-way does not
 * leave a client waiting on its close or keepalive timers (Node would wait
 * for them before ending the test file).
 */
export async function cleanUp(): Promise<void> {
  for (const action of cleanups.splice(0)) {
    try {
      await action();
    } catch { /* best effort */ }
  }
  await delay(1);
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets pending promise callbacks and macrotasks run (one timer turn). */
export function tick(): Promise<void> {
  return delay(0);
}

/** What {@linkcode trackTimers} reports. */
export interface TimerTracker {
  /** How many timers were set and have neither fired nor been cleared. */
  readonly pending: number;
  /** The delays of those timers. */
  readonly pendingDelays: number[];
  /** Puts the real `setTimeout`/`clearTimeout` back. */
  restore(): void;
}

/**
 * Counts the timers set through `globalThis.setTimeout` until `restore()`,
 * so a test can check that nothing is left pending after a close (Deno's
 * sanitizers do not run under `node:test`, and Node would just wait).
 * Always call `restore()` in a `finally`.
 *
 * @returns The tracker.
 */
export function trackTimers(): TimerTracker {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Map<unknown, number>();
  const patchedSet = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle: unknown = realSet(() => {
      live.delete(handle);
      callback(...args);
    }, ms);
    live.set(handle, ms ?? 0);
    return handle;
  };
  const patchedClear = (handle: unknown) => {
    live.delete(handle);
    realClear(handle as Parameters<typeof clearTimeout>[0]);
  };
  Object.assign(globalThis, { setTimeout: patchedSet, clearTimeout: patchedClear });
  return {
    get pending() {
      return live.size;
    },
    get pendingDelays() {
      return [...live.values()];
    },
    restore() {
      Object.assign(globalThis, { setTimeout: realSet, clearTimeout: realClear });
    },
  };
}
