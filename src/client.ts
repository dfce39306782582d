/**
 * What both public APIs share: the options, their validation, and opening
 * a transport and running the opening handshake over it with a timeout and
 * an `AbortSignal`.
 *
 * @module
 */

import { Driver } from "./driver.ts";
import { Heartbeat, MAX_TIMER } from "./keepalive.ts";
import type { TraceRecord } from "./protocol/connection/connection.ts";
import type { ClientConnectionOptions } from "./protocol/connection/connection.ts";
import {
  type ClientProtocolConnection,
  createClientConnection,
} from "./protocol/create_client_connection.ts";
import { isLegacyVersion } from "./protocol/protocol_version.ts";
import type { ConnectionEvent } from "./protocol/connection/events.ts";
import { HandshakeError, ProtocolError } from "./protocol/errors.ts";
import type { Connector, TlsOptions, Transport } from "./transport/types.ts";
import {
  getDefaultConnector,
  isDefaultConnectorOverridden,
  uninitializedAllocator,
} from "./transport/select.ts";
import { type NetworkOptions, openRoute, planRoute, type Route, splitUnixUrl } from "./connect.ts";
import { nextHop, type RedirectOptions, redirectPolicy, withChain } from "./redirect.ts";
import { clientDeflateOffer } from "./deflate/client_offer.ts";
import { framePool } from "./_frame_pool.ts";
import type { PerMessageDeflateOptions } from "./protocol/extensions/permessage_deflate.ts";

/** Options of both `WebSocket` and `WebSocketStream`, beyond what browsers offer. */
export interface ClientOptions
  extends
    Omit<ClientConnectionOptions, "protocols" | "allocatePayload" | "allocateFrame">,
    NetworkOptions,
    RedirectOptions {
  /**
   * Opens the byte stream. Replaces the runtime's TCP/TLS adapter, e.g. with
   * a unix socket, a proxy tunnel or an in-memory pair for tests.
   * @default the adapter for the running runtime (Deno, Bun or Node)
   */
  readonly transport?: Connector;
  /** TLS settings for `wss:` URLs; verification is on by default. */
  readonly tls?: TlsOptions;
  /**
   * permessage-deflate compression (RFC 7692), offered by default as browsers,
   * ws and python-websockets do: `false` turns it off, an object tunes the
   * offer (window bits, context takeover, threshold, level). Never offered
   * with a `protocolVersion` older than RFC 6455. See docs/compression.md.
   * @default true
   */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * Aborts the connection: before it opened, it fails (close code 1006).
   * After, `WebSocket` closes it with 1001 (going away); `WebSocketStream`
   * ignores it, as the WHATWG spec says (use `close()`).
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
  /**
   * Milliseconds for the TCP connection and the TLS handshake, within
   * `handshakeTimeout`: a dead address fails fast while a slow HTTP answer
   * still has the whole `handshakeTimeout`.
   * @default handshakeTimeout
   */
  readonly connectTimeout?: number;
  /**
   * Milliseconds between keepalive pings; 0 turns the keepalive off. 20 s,
   * as python-websockets: below the idle timeouts of common proxies (30-60 s).
   * @default 20000
   */
  readonly pingInterval?: number;
  /**
   * Milliseconds to wait for a keepalive pong (and the default of `ping()`).
   * When it is late, the connection is failed: a close frame with 1011 is
   * queued, the transport is closed at once (the frame goes out only if the
   * transport can write it at once), and the close event reports 1006 with
   * a `TimeoutError`.
   * @default 20000
   */
  readonly pongTimeout?: number;
  /**
   * Receives a record of every handshake phase and every frame in and out.
   * Off by default, at no cost.
   */
  readonly trace?: (record: ClientTraceRecord) => void;
}

/** What {@linkcode ClientOptions.trace} receives: the core's records plus the client's phases. */
export type ClientTraceRecord =
  | TraceRecord
  | {
    readonly type: "phase";
    /**
     * `connect`: opening the transport; `connected`: it is open (`tls` says
     * whether TLS was negotiated); `closed`: the transport was released.
     */
    readonly phase: "connect" | "connected" | "closed";
    readonly tls: boolean;
  };

/** Defaults of the time limits in {@linkcode ClientOptions}. */
export const DEFAULT_TIMEOUTS = {
  handshakeTimeout: 10_000,
  closeTimeout: 10_000,
  pingInterval: 20_000,
  pongTimeout: 20_000,
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
  // Timers overflow past 2^31 - 1 ms and fire at once: refuse such values.
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_TIMER) {
    throw new RangeError(
      `Cannot create WebSocket: ${name} must be a number of milliseconds in 0-${MAX_TIMER}, got ${value}`,
    );
  }
  return value;
}

/**
 * The cause to report for a connection that did not close cleanly: a
 * local failure (timeout, abort, full send queue) first; then the
 * transport's own error (reset, TLS), which the core only saw as the
 * stream ending; then the core's error.
 *
 * @param failure The local failure, if any.
 * @param error The error of the core's close event.
 * @param transportError The transport's read error, if any.
 * @returns The cause, or `null`.
 */
export function closeCause(failure: unknown, error: unknown, transportError: unknown): unknown {
  if (failure !== null && failure !== undefined) return failure;
  const endedOnly = error === null || error === undefined ||
    ((error instanceof ProtocolError || error instanceof HandshakeError) &&
      error.code === "UNEXPECTED_EOF");
  if (transportError !== null && transportError !== undefined && endedOnly) return transportError;
  return error ?? null;
}

/**
 * The core's `allocatePayload` option for every client: the runtime's allocation
 * of uninitialized bytes for large received payloads, found once (none on Deno).
 */
const ALLOCATE: { readonly allocatePayload?: (length: number) => Uint8Array } = (() => {
  const allocatePayload = uninitializedAllocator();
  return allocatePayload === undefined ? {} : { allocatePayload };
})();

/** {@linkcode ClientOptions} plus what each API layer tells {@linkcode startClient}. */
export interface StartOptions extends ClientOptions {
  /** Whether incoming frames are being read (see `HeartbeatOptions.isReading`). */
  readonly isReading?: () => boolean;
  /** What the API does when `signal` aborts after the connection opened; nothing by default. */
  readonly onAbortAfterOpen?: (reason: unknown) => void;
}

/** A connection attempt in progress, then the open connection. */
export interface ClientRun {
  /** The protocol connection, created synchronously (it validates the options). */
  readonly connection: ClientProtocolConnection;
  /** Resolves with the driver once the transport is open (before the handshake completes). */
  readonly driver: Promise<Driver>;
  /** Fails the attempt or the connection now (close code 1006), e.g. for an abort. */
  abort(reason: unknown): void;
  /** Pings in flight and the keepalive. */
  readonly heartbeat: Heartbeat;
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
  options: StartOptions,
  onEvent: (event: ConnectionEvent) => void,
  onFailure: (reason: unknown) => void,
): ClientRun {
  const timeouts = resolveTimeouts(options);
  const trace = options.trace;
  // `ws+unix:` URLs carry a socket path; the handshake sees a `ws:` URL.
  const unixUrl = splitUnixUrl(url);
  const networkOptions = unixUrl.unix === undefined ? options : { ...options, unix: unixUrl.unix };
  // `protocolVersion` picks the connection class: RFC 6455/hybi-10 or legacy framing.
  // After a redirect, `connection` and `route` are those of the current hop.
  // Each hop offers fresh extension instances (permessage-deflate keeps per-connection state).
  // Needed again only for a redirect: dropped once the attempt is over (with `protocols`).
  let connectionOptions: (() => ClientConnectionOptions) | null = () => ({
    ...options,
    ...ALLOCATE,
    protocols,
    // Large frames go into reused buffers, taken back when written (see ./_frame_pool.ts).
    allocateFrame: framePool.allocate,
    extensions: clientDeflateOffer(options.perMessageDeflate, options),
  });
  let connection = createClientConnection(unixUrl.url, connectionOptions());
  const started = new StartedClient(connection, fail, getHeartbeat);
  // Unix socket, proxy or direct: decided now, so bad options throw here.
  // (Passed to the opening below, not captured: an open connection keeps no route.)
  const firstRoute = planRoute(connection.url, networkOptions);
  const redirects = redirectPolicy(options);
  /** While a redirect may still come, the driver's events wait here. */
  let buffered: ConnectionEvent[] | null = null;
  // Aborts the connector; dropped once connected, so an open connection does not keep it.
  let attempt: AbortController | null = new AbortController();
  let failure: unknown;
  let driver: Driver | null = null;
  let failed = false;
  let timers: OpeningTimers | null = null;
  // The keepalive and `ping()`: made when first needed (never, for an idle
  // connection with `pingInterval: 0`), stopped at once if that is after the close.
  let heartbeat: Heartbeat | null = null;
  let heartbeatStopped = false;
  function getHeartbeat(): Heartbeat {
    if (heartbeat === null) {
      heartbeat = createHeartbeat(connection, timeouts, options, () => driver, onFailure);
      if (heartbeatStopped) heartbeat.stop(stoppedReason);
    }
    return heartbeat;
  }

  function fail(reason: unknown): void {
    if (failed || connection.state === "closed") return;
    failed = true;
    // A failure while a redirect was being looked for: the held events go out now.
    if (buffered !== null) {
      const events = buffered;
      buffered = null;
      const transport = driver?.transport;
      if (transport !== undefined) { for (const event of events) dispatch(event, transport); }
    }
    timers?.clear();
    if (onSignalAbort !== null) options.signal!.removeEventListener("abort", onSignalAbort);
    failure = reason;
    attempt?.abort(reason);
    onFailure(reason);
    if (driver !== null) {
      driver.abort();
    } else {
      // No transport yet: report the close ourselves through the connection,
      // as a task of its own (never inside the caller's `close()`).
      connection.fail(1006);
      const events = connection.eventsReceived();
      queueMicrotask(() => {
        for (const event of events) onEvent(event);
      });
    }
  }

  // Made only when there is a signal to listen to.
  const onSignalAbort = options.signal == null ? null : (): void => {
    const reason = options.signal!.reason;
    if (connection.state === "connecting") {
      fail(reason);
    } else if (connection.state === "open") {
      // Each API closes its own way (WebSocket: 1001; WebSocketStream
      // ignores it, as the WHATWG spec says).
      options.onAbortAfterOpen?.(reason);
    }
  };

  /** What the client does with each event, then hands it to the API layer. */
  function dispatch(event: ConnectionEvent, transport: Transport): void {
    switch (event.type) {
      case "open":
        timers?.clear();
        // The opening deadlines are over: nothing keeps them.
        timers = null;
        if (timeouts.pingInterval > 0) getHeartbeat().start();
        break;
      case "pong":
        heartbeat?.receivePong(event.data);
        break;
      case "close":
        timers?.clear();
        heartbeatStopped = true;
        heartbeat?.stop(stoppedReason);
        if (onSignalAbort !== null) options.signal!.removeEventListener("abort", onSignalAbort);
        trace?.({ type: "phase", phase: "closed", tls: transport.tls });
        break;
    }
    onEvent(event);
  }

  const driverPromise: Promise<Driver> = (async (route: Route): Promise<Driver> => {
    /** The URLs redirected from, in order. */
    const chain: string[] = [];
    if (options.signal?.aborted) throw options.signal.reason;
    if (onSignalAbort !== null) {
      options.signal!.addEventListener("abort", onSignalAbort, { once: true });
    }
    const opening = startOpeningTimers(timeouts, fail);
    timers = opening;
    for (;;) {
      const transport = await connectTransport(connection, route, options, attempt!.signal);
      if (failed) {
        transport.close();
        throw failure;
      }
      opening.connected();
      trace?.({ type: "phase", phase: "connected", tls: transport.tls });
      // A hop left for a redirect says nothing more.
      let live = true;
      const current = new Driver(connection, transport, {
        closeTimeout: timeouts.closeTimeout,
        onEvent(event) {
          if (!live) return;
          if (buffered !== null) buffered.push(event);
          else dispatch(event, transport);
        },
      });
      driver = current;
      if (redirects === null) {
        attempt = null;
        connectionOptions = null;
        current.flush();
        return current;
      }
      // Run the handshake here, holding the events back, to see whether it is a redirect.
      buffered = [];
      current.flush();
      while (connection.state === "connecting" && await current.pump());
      if (failed) throw failure;
      const events: ConnectionEvent[] = buffered ?? [];
      buffered = null;
      const closing = events.find((event) => event.type === "close");
      const decision = closing?.type === "close"
        ? nextHop(connection.url, closing.error, redirects, chain.length)
        : { kind: "none" as const };
      if (decision.kind === "follow") {
        // The failed hop is over: its transport is released, its events dropped.
        live = false;
        current.abort();
        driver = null;
        chain.push(connection.url.href);
        attempt = new AbortController();
        connection = started.connection = createClientConnection(decision.url, {
          ...connectionOptions!(),
          // RFC 9110 §15.4: credentials are not sent to another origin.
          ...(decision.sameOrigin ? {} : { headers: undefined }),
        });
        route = planRoute(connection.url, networkOptions);
        continue;
      }
      if (closing?.type === "close" && closing.error instanceof HandshakeError) {
        const why = decision.kind === "refuse" ? decision.why : undefined;
        if (chain.length > 0 || why !== undefined) {
          events[events.indexOf(closing)] = {
            ...closing,
            error: withChain(closing.error, chain, why),
          };
        }
      }
      attempt = null;
      connectionOptions = null;
      // Handed over once the API layer has the driver (its `then` was registered first).
      started.driver.then(() => {
        for (const event of events) dispatch(event, transport);
      }, () => {});
      return current;
    }
  })(firstRoute);
  started.driver = driverPromise;
  driverPromise.catch((reason) => fail(reason));
  return started;
}

/**
 * The {@linkcode ClientRun} of {@linkcode startClient}: a class, as an
 * object literal with getters is kept in dictionary mode by V8 (~450 bytes
 * more per connection).
 */
class StartedClient implements ClientRun {
  /** The current hop's connection (a redirect replaces it). */
  connection: ClientProtocolConnection;
  /** Set by {@linkcode startClient} right after the attempt started. */
  driver!: Promise<Driver>;
  readonly abort: (reason: unknown) => void;
  #heartbeat: () => Heartbeat;

  constructor(
    connection: ClientProtocolConnection,
    abort: (reason: unknown) => void,
    heartbeat: () => Heartbeat,
  ) {
    this.connection = connection;
    this.abort = abort;
    this.#heartbeat = heartbeat;
  }

  get heartbeat(): Heartbeat {
    return this.#heartbeat();
  }
}

/** Why `ping()` fails once the connection closed (made only when a ping is in flight). */
function stoppedReason(): DOMException {
  return new DOMException("Cannot ping: the connection closed", "InvalidStateError");
}

/** The timeouts of {@linkcode ClientOptions}, checked, with their defaults applied. */
interface Timeouts {
  readonly handshakeTimeout: number;
  readonly closeTimeout: number;
  readonly connectTimeout: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
}

/** Checks the timeout options and applies their defaults (`connectTimeout`: the handshake's). */
function resolveTimeouts(options: ClientOptions): Timeouts {
  const handshakeTimeout = milliseconds(
    "handshakeTimeout",
    options.handshakeTimeout,
    DEFAULT_TIMEOUTS.handshakeTimeout,
  );
  const closeTimeout = milliseconds(
    "closeTimeout",
    options.closeTimeout,
    DEFAULT_TIMEOUTS.closeTimeout,
  );
  const connectTimeout = milliseconds("connectTimeout", options.connectTimeout, handshakeTimeout);
  const pingInterval = milliseconds(
    "pingInterval",
    options.pingInterval,
    DEFAULT_TIMEOUTS.pingInterval,
  );
  const pongTimeout = milliseconds(
    "pongTimeout",
    options.pongTimeout,
    DEFAULT_TIMEOUTS.pongTimeout,
  );
  return { handshakeTimeout, closeTimeout, connectTimeout, pingInterval, pongTimeout };
}

/**
 * The keepalive of one connection: pings through the driver once there is
 * one, and fails the connection (1011) when a pong is late.
 */
function createHeartbeat(
  connection: ClientProtocolConnection,
  { pingInterval, pongTimeout }: Timeouts,
  options: StartOptions,
  currentDriver: () => Driver | null,
  onFailure: (reason: unknown) => void,
): Heartbeat {
  return new Heartbeat({
    // hybi-00 and hixie-75 have no ping frame: no keepalive for them.
    interval: isLegacyVersion(connection.protocolVersion) ? 0 : pingInterval,
    timeout: pongTimeout,
    sendPing(data) {
      const driver = currentDriver();
      if (driver === null) {
        throw new DOMException("Cannot ping: the connection is not open", "InvalidStateError");
      }
      driver.act((c) => c.sendPing(data));
    },
    onTimeout(error) {
      // Fail with 1011 (python-websockets' "keepalive ping timeout"), then
      // close at once: a peer that does not answer pings will not answer a close.
      const driver = currentDriver();
      if (driver === null) return;
      onFailure(error);
      driver.act((c) => c.fail(1011, "keepalive ping timeout"));
      driver.abort();
    },
    ...(options.isReading === undefined ? {} : { isReading: options.isReading }),
  });
}

/** The deadlines of the opening: the whole handshake, and the TCP/TLS connection within it. */
interface OpeningTimers {
  /** The transport is open: stops the connection deadline. */
  connected(): void;
  /** The opening ended (open, closed or failed): stops both. */
  clear(): void;
}

/** Starts the opening deadlines; each calls `fail` with a `TimeoutError` when it passes. */
function startOpeningTimers(
  { handshakeTimeout, connectTimeout }: Timeouts,
  fail: (reason: unknown) => void,
): OpeningTimers {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  timer = setTimeout(
    () =>
      fail(
        new DOMException(
          `Cannot open connection: no handshake within ${handshakeTimeout} ms`,
          "TimeoutError",
        ),
      ),
    handshakeTimeout,
  );
  if (connectTimeout < handshakeTimeout) {
    connectTimer = setTimeout(
      () =>
        fail(
          new DOMException(
            `Cannot open connection: no TCP/TLS connection within ${connectTimeout} ms`,
            "TimeoutError",
          ),
        ),
      connectTimeout,
    );
  }
  return {
    connected() {
      if (connectTimer !== undefined) clearTimeout(connectTimer);
      connectTimer = undefined;
    },
    clear() {
      if (timer !== undefined) clearTimeout(timer);
      if (connectTimer !== undefined) clearTimeout(connectTimer);
      timer = connectTimer = undefined;
    },
  };
}

/**
 * Opens the byte stream of a route (direct, unix socket or proxy) with the
 * chosen (or the runtime's) connector. Host names are resolved and raced
 * (Happy Eyeballs) for the runtime's own connectors only.
 */
async function connectTransport(
  connection: ClientProtocolConnection,
  route: Route,
  options: ClientOptions,
  signal: AbortSignal,
): Promise<Transport> {
  const builtIn = options.transport === undefined && !isDefaultConnectorOverridden();
  const connector = options.transport ?? await getDefaultConnector();
  options.trace?.({ type: "phase", phase: "connect", tls: connection.url.secure });
  return await openRoute(route, connector, signal, builtIn ? { lookup: options.lookup } : false);
}
