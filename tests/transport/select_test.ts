import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  detectRuntime,
  getDefaultConnector,
  loadConnector,
  setDefaultConnector,
} from "../../src/transport/select.ts";
import { connectBun } from "../../src/transport/bun.ts";
import { connectDeno } from "../../src/transport/deno.ts";
import { connectNode } from "../../src/transport/node.ts";
import { createMemoryConnector } from "../../src/transport/memory.ts";
import { runtime } from "../_util/transport_suite.ts";

function connect() {}

describe("detectRuntime", () => {
  it("picks Deno when Deno.connect is a function", () => {
    assert.equal(detectRuntime({ Deno: { connect }, Bun: { connect }, process: {} }), "deno");
  });

  it("picks Bun when Bun.connect is a function and there is no Deno.connect", () => {
    assert.equal(detectRuntime({ Deno: {}, Bun: { connect }, process: {} }), "bun");
  });

  it("falls back to Node otherwise, whatever else looks like a runtime", () => {
    assert.equal(detectRuntime({}), "node");
    assert.equal(detectRuntime({ Deno: { connect: "no" }, Bun: null }), "node");
  });

  it("detects the running runtime from globalThis", () => {
    assert.equal(detectRuntime(), runtime);
  });
});

describe("loadConnector", () => {
  it("loads each adapter's default connector", async () => {
    assert.equal(await loadConnector("deno"), connectDeno);
    assert.equal(await loadConnector("bun"), connectBun);
    assert.equal(await loadConnector("node"), connectNode);
  });
});

describe("getDefaultConnector", () => {
  it("returns the running runtime's adapter, the same one every time", async () => {
    const expected = { deno: connectDeno, bun: connectBun, node: connectNode }[runtime];
    const first = getDefaultConnector();
    assert.equal(getDefaultConnector(), first, "the load is cached");
    assert.equal(await first, expected);
  });

  it("returns the connector set with setDefaultConnector until it is unset", async () => {
    const { connector } = createMemoryConnector();
    setDefaultConnector(connector);
    try {
      assert.equal(await getDefaultConnector(), connector);
    } finally {
      setDefaultConnector(undefined);
    }
    assert.notEqual(await getDefaultConnector(), connector);
  });
});
