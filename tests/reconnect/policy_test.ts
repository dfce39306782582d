import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  classify,
  type Disconnect,
  parseRetryAfter,
  RETRY_TABLE,
  type RetryRule,
} from "../../src/reconnect/policy.ts";
import { HandshakeError, ProtocolError } from "../../src/protocol/mod.ts";
import { TransportError } from "../../src/transport/types.ts";
import { repositoryRoot } from "../_util/peers.ts";

function refused(status: number, headers: [string, string][] = []): Disconnect {
  return {
    phase: "connecting",
    closeCode: 1006,
    reason: "",
    wasClean: false,
    error: new HandshakeError("UNEXPECTED_STATUS", `Cannot open connection: ${status}`, {
      status,
      statusText: "",
      headers,
      body: new Uint8Array(0),
    }),
  };
}

function failed(error: unknown): Disconnect {
  return { phase: "connecting", closeCode: 1006, reason: "", wasClean: false, error };
}

function closed(code: number): Disconnect {
  return { phase: "open", closeCode: code, reason: "bye", wasClean: true, error: null };
}

function ruleOf(disconnect: Disconnect): [boolean, RetryRule] {
  const decision = classify(disconnect, 0);
  return [decision.retry, decision.rule];
}

describe("Retry table: the opening handshake", () => {
  it("retries on 5xx, 408 and 429", () => {
    for (const status of [500, 502, 503, 504, 599]) {
      assert.deepEqual(ruleOf(refused(status)), [true, "status-5xx"], String(status));
    }
    assert.deepEqual(ruleOf(refused(408)), [true, "status-408"]);
    assert.deepEqual(ruleOf(refused(429)), [true, "status-429"]);
  });

  it("stops on every other 4xx and on unexpected 1xx, 2xx, 3xx", () => {
    for (const status of [400, 401, 403, 404, 407, 409, 426, 451, 499]) {
      assert.deepEqual(ruleOf(refused(status)), [false, "status-4xx"], String(status));
    }
    for (const status of [100, 200, 204, 301, 302, 307]) {
      assert.deepEqual(ruleOf(refused(status)), [false, "status-other"], String(status));
    }
  });

  it("honours Retry-After on 429 and 503, in seconds or as a date, and nowhere else", () => {
    assert.equal(classify(refused(429, [["retry-after", "7"]]), 0).retryAfter, 7000);
    assert.equal(classify(refused(503, [["Retry-After", " 2 "]]), 0).retryAfter, 2000);
    const now = Date.UTC(2026, 11, 5, 12, 0, 0);
    assert.equal(
      classify(refused(503, [["retry-after", "Sat, 05 Dec 2026 12:00:30 GMT"]]), now).retryAfter,
      30_000,
    );
    assert.equal(classify(refused(502, [["retry-after", "7"]]), 0).retryAfter, null);
    assert.equal(classify(refused(429), 0).retryAfter, null);
    assert.equal(classify(refused(429, [["retry-after", "soon"]]), 0).retryAfter, null);
  });

  it("retries when the server hangs up during the handshake, stops on an invalid 101", () => {
    const eof = new HandshakeError("UNEXPECTED_EOF", "Cannot open connection: EOF");
    assert.deepEqual(ruleOf(failed(eof)), [true, "transport"]);
    for (const code of ["INVALID_ACCEPT", "INVALID_SUBPROTOCOL", "MALFORMED_RESPONSE"] as const) {
      const error = new HandshakeError(code, "Cannot open connection: bad");
      assert.deepEqual(ruleOf(failed(error)), [false, "invalid-handshake"], code);
    }
  });
});

describe("Retry table: transport and timeouts", () => {
  it("retries on refused, reset or lost TCP connections, stops on TLS failures", () => {
    for (const code of ["CONNECT_FAILED", "CONNECTION_LOST"] as const) {
      assert.deepEqual(ruleOf(failed(new TransportError(code, "Cannot connect"))), [
        true,
        "transport",
      ]);
    }
    assert.deepEqual(ruleOf(failed(new TransportError("TLS_FAILED", "Cannot connect"))), [
      false,
      "tls",
    ]);
    assert.deepEqual(ruleOf(failed(new TransportError("UNSUPPORTED", "Cannot connect"))), [
      false,
      "local-error",
    ]);
  });

  it("retries on handshake and keepalive timeouts", () => {
    const timeout = new DOMException("Cannot keep connection alive", "TimeoutError");
    assert.deepEqual(ruleOf({ ...closed(1006), wasClean: false, error: timeout }), [
      true,
      "timeout",
    ]);
  });

  it("stops on local errors: a full send queue, a throwing url function", () => {
    const quota = new DOMException("full", "QuotaExceededError");
    assert.deepEqual(ruleOf(failed(quota)), [false, "local-error"]);
    assert.deepEqual(ruleOf(failed(new Error("token service down"))), [false, "local-error"]);
  });
});

describe("Retry table: close codes (RFC 6455 §7.4.1)", () => {
  it("retries on 1006, 1011, 1012, 1013 and on a server ending the session (1000, 1001, 1005, 1014)", () => {
    assert.deepEqual(ruleOf(closed(1006)), [true, "abnormal-close"]);
    assert.deepEqual(ruleOf(closed(1011)), [true, "server-error"]);
    assert.deepEqual(ruleOf(closed(1012)), [true, "service-restart"]);
    assert.deepEqual(ruleOf(closed(1013)), [true, "try-again-later"]);
    for (const code of [1000, 1001, 1005, 1014]) {
      assert.deepEqual(ruleOf(closed(code)), [true, "server-close"], String(code));
    }
  });

  it("stops on 1002, 1003, 1007, 1008, 1009, 1010 and on application codes", () => {
    for (const code of [1002, 1003, 1007, 1008, 1009, 1010]) {
      assert.deepEqual(ruleOf(closed(code)), [false, "protocol-violation"], String(code));
    }
    for (const code of [1015, 3000, 4000, 4999]) {
      assert.deepEqual(ruleOf(closed(code)), [false, "application-close"], String(code));
    }
  });

  it("classifies a protocol error by the close code we sent, and an unexpected EOF as 1006", () => {
    for (const code of ["UNEXPECTED_RSV", "INVALID_UTF8", "MESSAGE_TOO_BIG"] as const) {
      const error = new ProtocolError(code, "Cannot read frame");
      assert.deepEqual(ruleOf({ ...closed(1006), error }), [false, "protocol-violation"], code);
    }
    const eof = new ProtocolError("UNEXPECTED_EOF", "Cannot read frame");
    assert.deepEqual(ruleOf({ ...closed(1006), error: eof }), [true, "abnormal-close"]);
  });
});

describe("RETRY_TABLE", () => {
  it("has one row per rule, each rule reachable by classify or the engine", () => {
    const rules = RETRY_TABLE.map((row) => row.rule);
    assert.equal(new Set(rules).size, rules.length);
    assert.deepEqual(
      RETRY_TABLE.filter((row) => row.retry).map((row) => row.rule).sort(),
      [
        "abnormal-close",
        "server-close",
        "server-error",
        "service-restart",
        "status-408",
        "status-429",
        "status-5xx",
        "timeout",
        "transport",
        "try-again-later",
      ],
    );
  });
});

describe("parseRetryAfter (RFC 9110 §10.2.3)", () => {
  it("reads delay-seconds and HTTP-dates, and refuses anything else", () => {
    assert.equal(parseRetryAfter("0", 0), 0);
    assert.equal(parseRetryAfter("120", 0), 120_000);
    const now = Date.UTC(1994, 10, 6, 8, 49, 0);
    assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), 37_000);
    assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:48:00 GMT", now), 0, "past dates wait 0");
    for (const bad of ["", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37", "0x10"]) {
      assert.equal(parseRetryAfter(bad, now), null, JSON.stringify(bad));
    }
  });
});

/** The rows of the first markdown table after `heading`, as trimmed cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  assert.notEqual(start, -1, `${heading} is missing`);
  const lines = markdown.slice(start).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.split("|").slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

describe("The retry table as documented", () => {
  it("docs/reconnect.md prints RETRY_TABLE row by row", () => {
    const markdown = readFileSync(join(repositoryRoot(), "docs/reconnect.md"), "utf8");
    const rows = tableAfter(markdown, "## Which failures are retried");
    assert.deepEqual(
      rows,
      RETRY_TABLE.map((row) => [`\`${row.rule}\``, row.when, row.retry ? "yes" : "no"]),
    );
  });

  it("README's compact table agrees with classify for every status and close code it names", () => {
    const markdown = readFileSync(join(repositoryRoot(), "README.md"), "utf8");
    const rows = tableAfter(markdown, "## Staying connected");
    assert.equal(rows.length, 6);
    let checked = 0;
    for (const [what, retried] of rows as [string, string][]) {
      const expected = retried === "yes";
      const codes = [...what.matchAll(/\b(\d{4})(?:-(\d{4}))?\b/g)]
        .flatMap((m) => m[2] === undefined ? [Number(m[1])] : [Number(m[1]), Number(m[2])]);
      for (const code of codes) {
        assert.equal(classify(closed(code), 0).retry, expected, `close ${code}`);
        checked++;
      }
      const statuses = [...what.matchAll(/\b([1-5])(\d\d|xx)\b/g)]
        .flatMap((m) =>
          m[2] === "xx" ? [Number(`${m[1]}00`), Number(`${m[1]}99`)] : [Number(m[0])]
        );
      for (const status of statuses) {
        assert.equal(classify(refused(status), 0).retry, expected, `status ${status}`);
        checked++;
      }
    }
    assert.ok(checked >= 25, `only ${checked} codes found`);
  });
});
