/**
 * `wsport`, a WebSocket client for the terminal in the spirit of wscat:
 * `deno run -A src/cli.ts wss://echo.example/` (Deno), `bun src/cli.ts …`
 * (Bun), or `npx wsport …` / `bunx wsport …` from the npm package (its
 * `bin` runs the same code). Each stdin line is sent as a text message;
 * each message received is printed. See `docs/cli.md` for the options and
 * exit codes.
 *
 * @example Run it on a list of arguments, with your own terminal
 * ```ts
 * import { main } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * let err = "";
 * const code = await main(["--no-such-option"], {
 *   lines: [],
 *   out: () => {},
 *   err: (text) => err += text,
 *   onInterrupt: () => () => {},
 * });
 * assert.equal(code, 2);
 * assert.match(err, /unknown option/);
 * ```
 *
 * @module
 */

import { runCli } from "./cli/_process_io.ts";

export { type CliIo, formatHandshakeFailure, formatMessage, main } from "./cli/session.ts";
export { type CliCommand, EXIT_CODE, parseArgs, USAGE, UsageError } from "./cli/args.ts";
// The client's types, which `main` and `formatHandshakeFailure` refer to.
export type * from "../mod.ts";

if ((import.meta as { main?: boolean }).main) await runCli();
