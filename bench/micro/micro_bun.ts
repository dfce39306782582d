// The core microbenchmarks on Bun, from the snapshot in .test-build/bench/ts.
import { runMicro } from "./_micro.mjs";

const module = "../../.test-build/bench/ts/src/protocol/mod.ts";
runMicro(await import(module));
