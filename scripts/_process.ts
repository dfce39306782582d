/**
 * Runs a child process for the build and test scripts: its output is shown
 * as it comes and kept for parsing, and a time limit ends it.
 *
 * @module
 */

/** How a child process ended. */
export interface ProcessResult {
  /** The exit code; 1 when it was killed or could not start. */
  readonly code: number;
  /** Whether the time limit ended it. */
  readonly timedOut: boolean;
  /** stdout and stderr, interleaved as they arrived, without colour codes. */
  readonly output: string;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
}

/** Options of {@linkcode runProcess}. */
export interface ProcessOptions {
  /** Working directory. @default the current one */
  readonly cwd?: string;
  /** Variables added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Whether to copy the output to ours as it comes. @default true */
  readonly echo?: boolean;
  /** Time limit in milliseconds; past it the process gets SIGTERM, then SIGKILL. @default 600000 */
  readonly timeoutMs?: number;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

async function pump(
  stream: ReadableStream<Uint8Array>,
  sink: { write(chunk: Uint8Array): Promise<number> } | null,
  chunks: string[],
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    if (sink !== null) await sink.write(chunk);
    chunks.push(decoder.decode(chunk, { stream: true }));
  }
  chunks.push(decoder.decode());
}

/**
 * Runs `command` with `args` and waits for it to end.
 *
 * @param command The program (a path or a name on `PATH`).
 * @param args Its arguments.
 * @param options Working directory, environment, echo and time limit.
 * @returns The exit code, the output and the time taken. Never throws.
 */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const started = performance.now();
  const echo = options.echo ?? true;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: [...args],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const message = `Cannot start ${command}: ${error instanceof Error ? error.message : error}`;
    console.error(message);
    return { code: 1, timedOut: false, output: message, durationMs: 0 };
  }
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const killTimer = setTimeout(() => {
    timedOut = true;
    console.error(`\n${command} ran past ${timeoutMs / 1000}s: stopping it`);
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 5_000).unref();
  }, timeoutMs);
  const chunks: string[] = [];
  await Promise.all([
    pump(child.stdout, echo ? Deno.stdout : null, chunks),
    pump(child.stderr, echo ? Deno.stderr : null, chunks),
  ]);
  const status = await child.status;
  clearTimeout(killTimer);
  return {
    code: timedOut ? 1 : status.code,
    timedOut,
    output: chunks.join("").replace(ANSI, ""),
    durationMs: performance.now() - started,
  };
}

/**
 * Formats milliseconds as seconds with one decimal.
 *
 * @param ms A duration in milliseconds.
 * @returns For example `"12.3s"`.
 */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
