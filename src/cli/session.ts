/**
 * What `wsport` does, with no runtime in sight: parse the arguments, open a
 * connection, send each input line as a text message,
 * print each message received, close on end of input or interrupt, and
 * answer with an exit code ({@linkcode EXIT_CODE}).
 *
 * The runtime's stdin, stdout, stderr and SIGINT come in through a
 * {@linkcode CliIo}; `_process_io.ts` makes one from `node:process`
 * (which Deno, Bun and Node all provide) and exits with the code.
 *
 * @module
 */

import { type ClientOptions, type ClientRun, closeCause, startClient } from "../client.ts";
import type { Driver } from "../driver.ts";
import type { CloseEvent } from "../protocol/connection/events.ts";
import { HandshakeError } from "../protocol/errors.ts";
import type { HandshakeResult } from "../protocol/handshake/handshake.ts";
import { VERSION } from "../version.ts";
import { type CliCommand, EXIT_CODE, parseArgs, USAGE, UsageError } from "./args.ts";

/** The terminal as `wsport` sees it. */
export interface CliIo {
  /** The lines of stdin, without their line ending; ends at end of input (Ctrl-D). */
  readonly lines: AsyncIterable<string> | Iterable<string>;
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /**
   * Calls `handler` on each interrupt (Ctrl-C, SIGINT).
   *
   * @returns A function that stops calling it.
   */
  onInterrupt(handler: () => void): () => void;
}

/** Close codes after which a clean close counts as success. */
const NORMAL_CLOSE_CODES: readonly number[] = [1000, 1001, 1005];

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Formats a received message as `wsport` prints it: `< text`, or
 * `< [binary N bytes] 68 69` for binary.
 *
 * @example
 * ```ts
 * import { formatMessage } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatMessage("hi"), "< hi\n");
 * assert.equal(formatMessage(new Uint8Array([0x68, 0x00, 0xff])), "< [binary 3 bytes] 68 00 ff\n");
 * ```
 *
 * @param message A text or binary message.
 * @returns The line, with its `\n`.
 */
export function formatMessage(message: string | Uint8Array): string {
  if (typeof message === "string") return `< ${message}\n`;
  let hex = "";
  for (let i = 0; i < message.byteLength; i++) {
    hex += (i === 0 ? "" : " ") + HEX[message[i]!];
  }
  const unit = message.byteLength === 1 ? "byte" : "bytes";
  return `< [binary ${message.byteLength} ${unit}]${hex === "" ? "" : ` ${hex}`}\n`;
}

/**
 * Formats a refused or invalid handshake: what failed, then the server's
 * status line, headers and the start of its body, as received.
 *
 * @example
 * ```ts
 * import { HandshakeError } from "../protocol/errors.ts";
 * import { formatHandshakeFailure } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new HandshakeError("UNEXPECTED_STATUS", "Cannot open connection: server answered 403 Forbidden", {
 *   status: 403, statusText: "Forbidden", headers: [["x-peer", "ws"]], body: new TextEncoder().encode("no"),
 * });
 * assert.equal(
 *   formatHandshakeFailure("ws://localhost/", error),
 *   "wsport: handshake with ws://localhost/ failed (UNEXPECTED_STATUS): " +
 *     "Cannot open connection: server answered 403 Forbidden\n" +
 *     "HTTP/1.1 403 Forbidden\nx-peer: ws\n\nno\n",
 * );
 * ```
 *
 * @param url The URL.
 * @param error The handshake error.
 * @returns The lines to print on stderr.
 */
export function formatHandshakeFailure(url: string, error: HandshakeError): string {
  let text = `wsport: handshake with ${url} failed (${error.code}): ${error.message}\n`;
  if (error.status !== 0) {
    text += `HTTP/1.1 ${error.status}${error.statusText === "" ? "" : ` ${error.statusText}`}\n`;
    for (const [name, value] of error.headers) text += `${name}: ${value}\n`;
    const body = new TextDecoder().decode(error.body).trimEnd();
    if (body !== "") text += `\n${body}\n`;
  }
  return text;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code !== "" ? `${error.message} (${code})` : error.message;
}

/**
 * Runs `wsport` with these arguments and this terminal.
 *
 * @example Print the help
 * ```ts
 * import { main } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * const code = await main(["--help"], {
 *   lines: [],
 *   out: (text) => out += text,
 *   err: () => {},
 *   onInterrupt: () => () => {},
 * });
 * assert.equal(code, 0);
 * assert.match(out, /^wsport /);
 * ```
 *
 * @param args The arguments, without the runtime and script.
 * @param io The terminal.
 * @param options Options added to those of the command line (tests use
 * `transport` and timeouts).
 * @returns The exit code ({@linkcode EXIT_CODE}).
 */
export async function main(
  args: readonly string[],
  io: CliIo,
  options: ClientOptions = {},
): Promise<number> {
  let command: CliCommand;
  try {
    command = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`wsport: ${error.message}\nTry "wsport --help".\n`);
    return EXIT_CODE.USAGE;
  }
  switch (command.kind) {
    case "help":
      io.out(USAGE);
      return EXIT_CODE.OK;
    case "version":
      io.out(`wsport ${VERSION}\n`);
      return EXIT_CODE.OK;
    case "connect":
      return await connect(command, io, options);
  }
}

type ConnectCommand = Extract<CliCommand, { kind: "connect" }>;

/** Bytes of unsent input after which reading stdin waits for the socket to drain. */
const INPUT_HIGH_WATER_MARK = 1024 * 1024;

async function connect(
  command: ConnectCommand,
  io: CliIo,
  options: ClientOptions,
): Promise<number> {
  // The core is driven directly rather than through WebSocketStream: after
  // Ctrl-D the WHATWG APIs drop the messages that still arrive before the
  // server's close frame (the echoes of the last lines, in a pipe), and
  // `wsport` prints them.
  let failure: unknown = null;
  let resolveOpen!: (handshake: HandshakeResult | null) => void;
  let resolveClose!: (event: CloseEvent) => void;
  const opened = new Promise<HandshakeResult | null>((resolve) => resolveOpen = resolve);
  const closed = new Promise<CloseEvent>((resolve) => resolveClose = resolve);
  let run: ClientRun;
  try {
    run = startClient(
      command.url,
      command.protocols,
      {
        ...options,
        headers: command.headers,
        ...(command.origin === undefined ? {} : { origin: command.origin }),
      },
      (event) => {
        if (event.type === "open") resolveOpen(event.handshake);
        else if (event.type === "message") io.out(formatMessage(event.data));
        else if (event.type === "close") {
          resolveOpen(null);
          resolveClose(event);
        }
      },
      (reason) => {
        failure = reason;
      },
    );
  } catch (error) {
    io.err(`wsport: Cannot connect to ${command.url}: ${describe(error)}\nTry "wsport --help".\n`);
    return EXIT_CODE.USAGE;
  }
  const url = run.connection.url.href;
  let driver: Driver | null = null;
  run.driver.then((started) => {
    driver = started;
    return started.run();
  }, () => {});
  const closeWith = (code: number): void => {
    if (driver !== null && run.connection.state === "open") {
      driver.act((connection) => connection.sendClose(code, ""));
    }
  };

  let interrupts = 0;
  let quit!: (code: number) => void;
  const quitting = new Promise<number>((resolve) => quit = resolve);
  const stopListening = io.onInterrupt(() => {
    interrupts++;
    if (interrupts > 1) return quit(EXIT_CODE.INTERRUPTED);
    io.err("wsport: interrupted: closing (Ctrl-C again to quit at once)\n");
    if (run.connection.state === "connecting") {
      run.abort(new DOMException("Cannot open connection: interrupted", "AbortError"));
    } else {
      closeWith(1001); // §7.4.1: "going away"
    }
  });
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  io.err(`Connecting to ${url}\n`);

  const session = async (): Promise<number> => {
    const handshake = await opened;
    if (handshake === null) {
      const event = await closed;
      if (interrupts > 0) return EXIT_CODE.INTERRUPTED;
      const cause = closeCause(failure, event.error, driver?.transportError);
      if (cause instanceof HandshakeError) {
        io.err(formatHandshakeFailure(url, cause));
        return EXIT_CODE.HANDSHAKE_FAILED;
      }
      io.err(`wsport: Cannot connect to ${url}: ${describe(cause)}\n`);
      return EXIT_CODE.CONNECT_FAILED;
    }
    io.err(
      `Connected to ${url}` +
        (handshake.protocol === "" ? "" : ` (subprotocol ${handshake.protocol})`) +
        " (Ctrl-D or Ctrl-C to close)\n",
    );
    void (async () => {
      try {
        for await (const line of io.lines) {
          const open = driver;
          if (ended || open === null || run.connection.state !== "open") return;
          open.send((connection) => connection.sendText(line));
          if (open.bufferedAmount > INPUT_HIGH_WATER_MARK) await open.transport.drained();
        }
      } catch (error) {
        if (!ended) io.err(`wsport: Cannot read stdin: ${describe(error)}\n`);
      }
      // End of input (Ctrl-D): close with 1000 and wait for the server's close.
      if (!ended) closeWith(1000);
    })();
    if (command.pingIntervalMs !== undefined) {
      const interval = command.pingIntervalMs;
      const ping = async () => {
        try {
          const rtt = await run.heartbeat.ping();
          if (!ended) io.err(`pong: ${rtt.toFixed(2)} ms\n`);
        } catch (error) {
          if (!ended && run.connection.state === "open") {
            io.err(`wsport: ping failed: ${describe(error)}\n`);
          }
        }
        if (!ended) pingTimer = setTimeout(ping, interval);
      };
      pingTimer = setTimeout(ping, 0);
    }
    const event = await closed;
    ended = true;
    if (event.wasClean) {
      io.err(
        `Closed: ${event.code}${event.reason === "" ? "" : ` ${JSON.stringify(event.reason)}`}\n`,
      );
      if (interrupts > 0) return EXIT_CODE.INTERRUPTED;
      return NORMAL_CLOSE_CODES.includes(event.code) ? EXIT_CODE.OK : EXIT_CODE.CLOSED_WITH_ERROR;
    }
    const cause = closeCause(failure, event.error, driver?.transportError);
    io.err(
      `wsport: connection closed abnormally (${event.code})` +
        (cause === null ? "\n" : `: ${describe(cause)}\n`),
    );
    return interrupts > 0 ? EXIT_CODE.INTERRUPTED : EXIT_CODE.ABNORMAL_CLOSE;
  };

  try {
    return await Promise.race([session(), quitting]);
  } finally {
    ended = true;
    clearTimeout(pingTimer);
    stopListening();
  }
}
