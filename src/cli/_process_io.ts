/**
 * The only runtime-specific part of `wsport`: stdin, stdout, stderr,
 * SIGINT and the exit, through `node:process`, which Deno, Bun and Node all
 * provide with the same behaviour for pipes and terminals (tested by
 * `tests/cli_test.ts` on each).
 *
 * The terminal stays in its normal (cooked) mode: it edits the line, sends
 * it on Enter, turns Ctrl-D on an empty line into end of input and Ctrl-C
 * into SIGINT.
 *
 * @module
 */

import process from "node:process";
import { type CliIo, main } from "./session.ts";
import { EXIT_CODE } from "./args.ts";

interface TextSource {
  setEncoding(encoding: "utf8"): unknown;
  [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array>;
}

/** Splits a stream of text into lines (`\n` or `\r\n`); a last line without `\n` counts. */
async function* readLines(source: TextSource): AsyncGenerator<string, void, undefined> {
  source.setEncoding("utf8");
  let buffer = "";
  for await (const chunk of source) {
    buffer += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    let end: number;
    while ((end = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

/** The process's terminal as a {@linkcode CliIo}. */
export function processIo(): CliIo {
  return {
    lines: readLines(process.stdin),
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => void process.off("SIGINT", handler);
    },
  };
}

function flush(stream: { write(text: string, callback: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/**
 * Runs `wsport` with the process's arguments and terminal, then exits
 * with its code once stdout and stderr are flushed (stdin may still be
 * open: a terminal's is, until Ctrl-D).
 *
 * @param args The arguments; by default those after the runtime and script.
 */
export async function runCli(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  let code: number;
  try {
    code = await main(args, processIo());
  } catch (error) {
    process.stderr.write(
      `wsport: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    code = EXIT_CODE.INTERNAL;
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
