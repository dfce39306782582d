import { describe } from "node:test";
import { connectNode } from "../../src/transport/node.ts";
import { runtime, transportSuite } from "../_util/transport_suite.ts";

describe("connectNode over loopback sockets", () => {
  transportSuite({ connector: connectNode, skip: runtime !== "node" && "needs Node", insecureTls: true });
});
