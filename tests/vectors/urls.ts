/**
 * WebSocket URL vectors: WHATWG WebSockets constructor steps 1-7 and
 * RFC 6455 §3 (host, port, resource name, secure flag).
 *
 * @module
 */

import type { WebSocketUrl } from "../../src/protocol/http/url.ts";

/** A URL that parses. */
export interface UrlVector {
  /** What the case shows. */
  readonly name: string;
  readonly input: string;
  readonly base?: string;
  readonly expected: WebSocketUrl;
}

/** A URL that `parseWebSocketUrl` refuses with a SyntaxError. */
export interface UrlErrorVector {
  readonly name: string;
  readonly input: string;
  readonly base?: string;
  readonly message: string;
}

function url(
  href: string,
  fields: Omit<WebSocketUrl, "href" | "username" | "password"> & Partial<WebSocketUrl>,
): WebSocketUrl {
  return { username: "", password: "", href, ...fields };
}

export const URL_VECTORS: readonly UrlVector[] = [
  // RFC 6455 §3: default ports and the empty path.
  {
    name: "ws with no port and no path: port 80, resource /",
    input: "ws://example.com",
    expected: url("ws://example.com/", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/",
      host: "example.com",
    }),
  },
  {
    name: "wss with no port: port 443, secure",
    input: "wss://example.com/chat",
    expected: url("wss://example.com/chat", {
      secure: true,
      hostname: "example.com",
      port: 443,
      resource: "/chat",
      host: "example.com",
    }),
  },
  {
    name: "explicit default port 80 is not repeated in Host",
    input: "ws://example.com:80/",
    expected: url("ws://example.com/", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/",
      host: "example.com",
    }),
  },
  {
    name: "explicit default port 443 is not repeated in Host",
    input: "wss://example.com:443/",
    expected: url("wss://example.com/", {
      secure: true,
      hostname: "example.com",
      port: 443,
      resource: "/",
      host: "example.com",
    }),
  },
  {
    name: "port 443 on ws is not a default port",
    input: "ws://example.com:443/",
    expected: url("ws://example.com:443/", {
      secure: false,
      hostname: "example.com",
      port: 443,
      resource: "/",
      host: "example.com:443",
    }),
  },
  {
    name: "port 80 on wss is not a default port",
    input: "wss://example.com:80/",
    expected: url("wss://example.com:80/", {
      secure: true,
      hostname: "example.com",
      port: 80,
      resource: "/",
      host: "example.com:80",
    }),
  },
  // IPv6 literals: brackets in Host and href, none in hostname.
  {
    name: "IPv6 with port, path and query",
    input: "ws://[::1]:8080/x?y",
    expected: url("ws://[::1]:8080/x?y", {
      secure: false,
      hostname: "::1",
      port: 8080,
      resource: "/x?y",
      host: "[::1]:8080",
    }),
  },
  {
    name: "IPv6 with the default port",
    input: "wss://[::1]/",
    expected: url("wss://[::1]/", {
      secure: true,
      hostname: "::1",
      port: 443,
      resource: "/",
      host: "[::1]",
    }),
  },
  {
    name: "IPv6 is serialized lower-case and compressed",
    input: "ws://[2001:DB8:0:0:0:0:0:1]:9000",
    expected: url("ws://[2001:db8::1]:9000/", {
      secure: false,
      hostname: "2001:db8::1",
      port: 9000,
      resource: "/",
      host: "[2001:db8::1]:9000",
    }),
  },
  {
    name: "IPv4 literal",
    input: "ws://127.0.0.1:9000/",
    expected: url("ws://127.0.0.1:9000/", {
      secure: false,
      hostname: "127.0.0.1",
      port: 9000,
      resource: "/",
      host: "127.0.0.1:9000",
    }),
  },
  // WHATWG WebSockets constructor steps 4-5: http → ws, https → wss.
  {
    name: "http maps to ws",
    input: "http://example.com/chat",
    expected: url("ws://example.com/chat", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/chat",
      host: "example.com",
    }),
  },
  {
    name: "https maps to wss",
    input: "https://example.com:8443/chat?room=1",
    expected: url("wss://example.com:8443/chat?room=1", {
      secure: true,
      hostname: "example.com",
      port: 8443,
      resource: "/chat?room=1",
      host: "example.com:8443",
    }),
  },
  {
    name: "upper-case scheme and host are lower-cased, default port dropped",
    input: "HTTP://EXAMPLE.COM:80",
    expected: url("ws://example.com/", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/",
      host: "example.com",
    }),
  },
  // RFC 6455 §3: resource-name = path [ "?" query ].
  {
    name: "an empty query is kept in the resource name",
    input: "ws://example.com?",
    expected: url("ws://example.com/?", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/?",
      host: "example.com",
    }),
  },
  {
    name: "spaces in path and query are percent-encoded",
    input: "ws://example.com/a b?q=c d",
    expected: url("ws://example.com/a%20b?q=c%20d", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/a%20b?q=c%20d",
      host: "example.com",
    }),
  },
  {
    name: "an internationalized host is serialized as punycode",
    input: "ws://bücher.example/",
    expected: url("ws://xn--bcher-kva.example/", {
      secure: false,
      hostname: "xn--bcher-kva.example",
      port: 80,
      resource: "/",
      host: "xn--bcher-kva.example",
    }),
  },
  // Userinfo: percent-decoded for the Authorization header.
  {
    name: "userinfo is percent-decoded",
    input: "wss://user:pa%20ss@example.com/",
    expected: url("wss://user:pa%20ss@example.com/", {
      secure: true,
      hostname: "example.com",
      port: 443,
      resource: "/",
      host: "example.com",
      username: "user",
      password: "pa ss",
    }),
  },
  {
    name: "a percent sign not followed by two hex digits stays as it is",
    input: "ws://us%zzer:%e2%82%ac@example.com/",
    expected: url("ws://us%zzer:%e2%82%ac@example.com/", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/",
      host: "example.com",
      username: "us%zzer",
      password: "€",
    }),
  },
  {
    name: "a percent sign at the end of the userinfo stays as it is",
    input: "ws://us%:pa%4@example.com/",
    expected: url("ws://us%:pa%4@example.com/", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/",
      host: "example.com",
      username: "us%",
      password: "pa%4",
    }),
  },
  // WHATWG WebSockets constructor step 2: parsed against the base URL.
  {
    name: "a path relative to an https base",
    input: "/chat",
    base: "https://example.com/app/",
    expected: url("wss://example.com/chat", {
      secure: true,
      hostname: "example.com",
      port: 443,
      resource: "/chat",
      host: "example.com",
    }),
  },
  {
    name: "a relative reference with a query against an http base with a port",
    input: "chat?room=1",
    base: "http://example.com:8080/app/index.html",
    expected: url("ws://example.com:8080/app/chat?room=1", {
      secure: false,
      hostname: "example.com",
      port: 8080,
      resource: "/app/chat?room=1",
      host: "example.com:8080",
    }),
  },
  {
    name: "an absolute input ignores the base",
    input: "wss://other.example/",
    base: "http://example.com/",
    expected: url("wss://other.example/", {
      secure: true,
      hostname: "other.example",
      port: 443,
      resource: "/",
      host: "other.example",
    }),
  },
  {
    name: "the base's fragment is not inherited",
    input: "/chat",
    base: "http://example.com/#top",
    expected: url("ws://example.com/chat", {
      secure: false,
      hostname: "example.com",
      port: 80,
      resource: "/chat",
      host: "example.com",
    }),
  },
];

const invalid = (input: string) =>
  `Cannot parse WebSocket URL: ${JSON.stringify(input)} is not a valid URL`;
const scheme = (protocol: string) =>
  `Cannot parse WebSocket URL: the scheme ${
    JSON.stringify(protocol)
  } is not ws:, wss:, http: or https:`;
const fragment = (input: string) =>
  `Cannot parse WebSocket URL: ${JSON.stringify(input)} has a fragment`;

export const URL_ERROR_VECTORS: readonly UrlErrorVector[] = [
  // WHATWG WebSockets constructor step 3: URL parser failure.
  { name: "not a URL", input: "not a url", message: invalid("not a url") },
  { name: "a relative URL without a base", input: "/chat", message: invalid("/chat") },
  { name: "no host", input: "ws://", message: invalid("ws://") },
  {
    name: "a space in the host",
    input: "ws://exa mple.com/",
    message: invalid("ws://exa mple.com/"),
  },
  {
    name: "a port out of range",
    input: "ws://example.com:65536/",
    message: invalid("ws://example.com:65536/"),
  },
  { name: "an unclosed IPv6 literal", input: "ws://[::1/", message: invalid("ws://[::1/") },
  // WHATWG WebSockets constructor step 6.
  { name: "ftp scheme", input: "ftp://example.com/", message: scheme("ftp:") },
  { name: "file scheme", input: "file:///tmp/socket", message: scheme("file:") },
  { name: "data scheme", input: "data:text/plain,x", message: scheme("data:") },
  { name: "javascript scheme", input: "javascript:alert(1)", message: scheme("javascript:") },
  {
    name: "a base of another scheme",
    input: "chat",
    base: "ftp://example.com/",
    message: scheme("ftp:"),
  },
  // WHATWG WebSockets constructor step 7 (RFC 6455 §3).
  {
    name: "a fragment",
    input: "ws://example.com/#top",
    message: fragment("ws://example.com/#top"),
  },
  {
    name: "an empty fragment",
    input: "ws://example.com/#",
    message: fragment("ws://example.com/#"),
  },
  {
    name: "a fragment after a query",
    input: "wss://example.com/?a=b#c",
    message: fragment("wss://example.com/?a=b#c"),
  },
  {
    name: "a fragment in a relative input",
    input: "chat#x",
    base: "http://example.com/",
    message: fragment("chat#x"),
  },
];
