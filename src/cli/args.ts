/**
 * The command line of `wsport`: a synchronous parser from `argv` to what
 * to do, the usage text, and the exit codes. No I/O here; `session.ts` runs
 * the connection and `_process_io.ts` holds the runtime's stdin, signals
 * and exit.
 *
 * @module
 */

import { VERSION } from "../version.ts";

/**
 * The exit codes of `wsport`, documented in `docs/cli.md` and in
 * {@linkcode USAGE}.
 *
 * @example
 * ```ts
 * import { EXIT_CODE } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EXIT_CODE.HANDSHAKE_FAILED, 4);
 * ```
 */
export const EXIT_CODE = {
  /** The closing handshake completed with 1000, 1001 or no code (after Ctrl-D, or from the server). */
  OK: 0,
  /** An unexpected internal error (a bug: please report it). */
  INTERNAL: 1,
  /** The command line was wrong (unknown option, missing or bad URL, bad header). */
  USAGE: 2,
  /** No connection: DNS, TCP or TLS failed, or the handshake timed out. */
  CONNECT_FAILED: 3,
  /** The server answered, but not with a valid WebSocket handshake (e.g. 403). */
  HANDSHAKE_FAILED: 4,
  /** The connection ended without a closing handshake (1006) or we failed it (1002, 1007, 1009…). */
  ABNORMAL_CLOSE: 5,
  /** The closing handshake completed, but with a code other than 1000, 1001 or none. */
  CLOSED_WITH_ERROR: 6,
  /** Interrupted by Ctrl-C (SIGINT): 128 + 2, as shells report it. */
  INTERRUPTED: 130,
} as const;

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
    readonly kind: "connect";
    /** The URL as given. */
    readonly url: string;
    /** `-H "Name: value"`, in order. */
    readonly headers: ReadonlyArray<readonly [string, string]>;
    /** `-s protocol`, in order. */
    readonly protocols: readonly string[];
    /** `-o origin`. */
    readonly origin?: string;
    /** `--ping [seconds]`: the interval in milliseconds, or `undefined` when not asked. */
    readonly pingIntervalMs?: number;
  };

/** The default interval of `--ping` without a value, in seconds. */
export const DEFAULT_PING_SECONDS = 1;

/** The text of `wsport --help`. */
export const USAGE = `wsport ${VERSION}: a WebSocket client for the terminal

Usage: wsport [options] <url>

Connects to <url> (ws:, wss:, http: or https:). Each line typed (or piped) on
stdin is sent as a text message; each message received is printed on stdout,
text as "< text", binary as "< [binary N bytes] <hex>". Status lines go to
stderr. Ctrl-D (end of stdin) closes with 1000 and waits for the server's
close; Ctrl-C closes the same way (a second Ctrl-C quits at once).

Options:
  -H, --header "Name: value"  add a request header (repeatable)
  -s, --subprotocol <name>    offer a subprotocol (repeatable)
  -o, --origin <origin>       send an Origin header
      --ping [seconds]        ping every <seconds> (default ${DEFAULT_PING_SECONDS}) and print each round-trip time
  -V, --version               print the version and exit
  -h, --help                  print this help and exit

Exit codes:
  0    closed cleanly with 1000, 1001 or no code
  1    internal error
  2    usage error
  3    could not connect (DNS, TCP, TLS, timeout)
  4    handshake failed (the server's status and headers are printed)
  5    connection closed abnormally (no closing handshake, or a protocol error)
  6    closed cleanly with another code (printed)
  130  interrupted (Ctrl-C)
`;

/** A command line `wsport` cannot run; the message says what is wrong. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message "Cannot <action>: <detail>".
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const TAKES_VALUE: Readonly<Record<string, string>> = {
  "-H": "--header",
  "--header": "--header",
  "-s": "--subprotocol",
  "--subprotocol": "--subprotocol",
  "-o": "--origin",
  "--origin": "--origin",
};

/**
 * Parses `"Name: value"` as `curl -H` and wscat do: the name is what comes
 * before the first colon, trimmed; the value is the rest, trimmed.
 *
 * @param text The argument of `-H`.
 * @returns The name and the value.
 * @throws {UsageError} When there is no colon or no name.
 */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon === -1 ? "" : text.slice(0, colon).trim();
  if (colon === -1 || name === "") {
    throw new UsageError(`Cannot parse header "${text}": expected "Name: value"`);
  }
  return [name, text.slice(colon + 1).trim()];
}

function parsePingSeconds(text: string): number {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`Cannot use --ping ${text}: the interval must be a number of seconds > 0`);
  }
  return seconds;
}

/**
 * Parses the arguments of `wsport` (without the runtime and script).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const command = parseArgs(["-H", "Authorization: Bearer x", "--ping", "ws://localhost:8080/"]);
 * assert.deepEqual(command, {
 *   kind: "connect",
 *   url: "ws://localhost:8080/",
 *   headers: [["Authorization", "Bearer x"]],
 *   protocols: [],
 *   pingIntervalMs: 1000,
 * });
 * ```
 *
 * @param args The arguments.
 * @returns What to do.
 * @throws {UsageError} For an unknown option, a missing value, a bad
 * header or ping interval, or not exactly one URL.
 */
export function parseArgs(args: readonly string[]): CliCommand {
  const headers: [string, string][] = [];
  const protocols: string[] = [];
  const positional: string[] = [];
  let origin: string | undefined;
  let pingSeconds: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "-V" || arg === "--version") return { kind: "version" };
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    if (name === "--ping") {
      if (inline !== undefined) {
        pingSeconds = parsePingSeconds(inline);
      } else if (i + 1 < args.length && /^\d*\.?\d+$/.test(args[i + 1]!)) {
        pingSeconds = parsePingSeconds(args[++i]!);
      } else {
        pingSeconds = DEFAULT_PING_SECONDS;
      }
      continue;
    }
    const option = TAKES_VALUE[name];
    if (option !== undefined) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`Cannot use ${name}: it needs a value`);
      if (option === "--header") headers.push(parseHeader(value));
      else if (option === "--subprotocol") protocols.push(value);
      else origin = value;
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`Cannot use ${name}: unknown option`);
    }
    positional.push(arg);
  }
  if (positional.length !== 1) {
    throw new UsageError(
      positional.length === 0
        ? "Cannot connect: no URL given"
        : `Cannot connect: expected one URL, got ${positional.length} (${positional.join(" ")})`,
    );
  }
  return {
    kind: "connect",
    url: positional[0]!,
    headers,
    protocols,
    ...(origin === undefined ? {} : { origin }),
    ...(pingSeconds === undefined ? {} : { pingIntervalMs: pingSeconds * 1000 }),
  };
}
