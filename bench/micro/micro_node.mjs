// The core microbenchmarks on Node, from the build in .test-build/bench/esm.
import { runMicro } from "./_micro.mjs";

const module = "../../.test-build/bench/esm/src/protocol/mod.js";
runMicro(await import(module));
