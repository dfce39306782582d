/**
 * What both public APIs share: the options, their validation, and opening
 * a transport and running the opening handshake over it with a timeout and
 * an `AbortSignal`.
 *
 * @module
 */

import { Driver } from "./driver.ts";
import { ClientConnection, type ClientConnectionOptions } from "./protocol/connection.ts";
import type { ConnectionEvent } from "./protocol/events.ts";
import type { Connector, TlsOptions, Transport } from "./transport/types.ts";
import { getDefaultConnector } from "./transport/select.ts";

/** Options of both `WebSocket` and `WebSocketStream`, beyond what browsers offer. */
export interface ClientOptions extends Omit<ClientConnectionOptions, "protocols"> {
  /**
   * Opens the byte stream. Replaces the runtime's TCP/TLS adapter, e.g. with
   * a unix socket, a proxy tunnel or an in-memory pair for tests.
   * @default the adapter for the running runtime (Deno, Bun or Node)
   */
  readonly transport?: Connector;
  /** TLS settings for `wss:` URLs; verification is on by default. */
  readonly tls?: TlsOptions;
  /**
   * Aborts the connection: before it opened, it fails (close code 1006);
   * after, it is closed with 1001 (going away).
   */
  readonly signal?: AbortSignal;
  /**
   * Milliseconds for the whole opening: TCP, TLS and the HTTP handshake.
   * 10 s, as python-websockets' `open_timeout`.
   * @default 10000
   */
  readonly handshakeTimeout?: number;
  /**
   * Milliseconds to wait, after the closing handshake or a failure, for the
   * server to close the TCP connection before we do (RFC 6455 §7.1.1).
   * 10 s, as python-websockets' `close_timeout`.
   * @default 10000
   */
  readonly closeTimeout?: number;
}

/** Defaults of the time limits in {@linkcode ClientOptions}. */
export const DEFAULT_TIMEOUTS = {
  handshakeTimeout: 10_000,
  closeTimeout: 10_000,
} as const;

/**
 * Checks a millisecond option.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @param fallback The default.
 * @returns The value.
 * @throws {RangeError} When it is not a finite number >= 0.
 */
export function milliseconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot create WebSocket: ${name} must be a finite number of milliseconds >= 0, got ${value}`);
  }
  return value;
}

/** A connection attempt in progress, then the open connection. */
export interface ClientRun {
  /** The protocol connection, created synchronously (it validates the options). */
  readonly connection: ClientConnection;
  /** Resolves with the driver once the transport is open (before the handshake completes). */
  readonly driver: Promise<Driver>;
  /** Fails the attempt or the connection now (close code 1006), e.g. for an abort. */
  abort(reason: unknown): void;
}

/**
 * Starts a client: creates the connection (throwing synchronously on bad
 * options), then opens the transport and runs the handshake in the
 * background, reporting every event — or the failure — to `onEvent` and
 * `onFailure`.
 *
 * @param url The URL, already validated by the caller.
 * @param protocols The subprotocols to offer.
 * @param options The client options.
 * @param onEvent Receives the connection's events in order.
 * @param onFailure Receives the reason when the attempt fails outside the
 * protocol (transport error, timeout, abort); a close event follows it.
 * @returns The run.
 */
export function startClient(
  url: string,
  protocols: readonly string[],
  options: ClientOptions,
  onEvent: (event: ConnectionEvent) => void,
  onFailure: (reason: unknown) => void,
): ClientRun {
  const handshakeTimeout = milliseconds("handshakeTimeout", options.handshakeTimeout, DEFAULT_TIMEOUTS.handshakeTimeout);
  const closeTimeout = milliseconds("closeTimeout", options.closeTimeout, DEFAULT_TIMEOUTS.closeTimeout);
  const connection = new ClientConnection(url, { ...options, protocols });
  const attempt = new AbortController();
  let driver: Driver | null = null;
  let failed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function fail(reason: unknown): void {
    if (failed || connection.state === "closed") return;
    failed = true;
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onSignalAbort);
    attempt.abort(reason);
    onFailure(reason);
    if (driver !== null) {
      driver.abort();
    } else {
      // No transport yet: report the close ourselves through the connection.
      connection.fail(1006);
      for (const event of connection.eventsReceived()) onEvent(event);
    }
  }

  function onSignalAbort(): void {
    const reason = options.signal!.reason;
    if (connection.state === "connecting") {
      fail(reason);
    } else if (driver !== null && connection.state === "open") {
      driver.act((c) => c.sendClose(1001, ""));
    }
  }

  const driverPromise = (async () => {
    if (options.signal?.aborted) throw options.signal.reason;
    options.signal?.addEventListener("abort", onSignalAbort, { once: true });
    timer = setTimeout(
      () => fail(new DOMException(`Cannot open connection: no handshake within ${handshakeTimeout} ms`, "TimeoutError")),
      handshakeTimeout,
    );
    const connector = options.transport ?? await getDefaultConnector();
    const transport: Transport = await connector({
      hostname: connection.url.hostname,
      port: connection.url.port,
      tls: connection.url.secure ? (options.tls ?? {}) : undefined,
      signal: attempt.signal,
    });
    if (failed) {
      transport.close();
      throw attempt.signal.reason;
    }
    driver = new Driver(connection, transport, {
      closeTimeout,
      onEvent(event) {
        if (event.type === "open" || event.type === "close") {
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
        }
        if (event.type === "close") options.signal?.removeEventListener("abort", onSignalAbort);
        onEvent(event);
      },
    });
    driver.flush();
    return driver;
  })();
  driverPromise.catch((reason) => fail(reason));
  return { connection, driver: driverPromise, abort: fail };
}
