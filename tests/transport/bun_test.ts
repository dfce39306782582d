import { describe } from "node:test";
import { connectBun } from "../../src/transport/bun.ts";
import { runtime, transportSuite } from "../_util/transport_suite.ts";

describe("connectBun over loopback sockets", () => {
  transportSuite({ connector: connectBun, skip: runtime !== "bun" && "needs Bun", insecureTls: true });
});
