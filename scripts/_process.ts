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

/** A child process that said it is ready; see {@linkcode startReadyProcess}. */
export interface ReadyProcess {
  /** The first line the child printed, parsed as JSON (e.g. `{ "port": 1234 }`). */
  readonly ready: unknown;
  /** Closes the child's stdin (its signal to stop), waits for it, and kills it after 3 s. */
  stop(): Promise<void>;
}

/**
 * Starts a server-like child that prints one JSON line when it is ready and
 * stops when its stdin closes; the rest of its stdout is drained so that it
 * never blocks on it, and its stderr is ours.
 *
 * @param command The program.
 * @param args Its arguments.
 * @param cwd Its working directory.
 * @returns The parsed first line and a way to stop it.
 * @throws {Error} When the child exits before its first line.
 */
export async function startReadyProcess(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<ReadyProcess> {
  const child = new Deno.Command(command, {
    args: [...args],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`Cannot start ${args.at(-1) ?? command}: it exited before it was ready`);
    }
    text += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    ready: JSON.parse(text.split("\n")[0]!),
    async stop() {
      await child.stdin.close();
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await child.status;
      clearTimeout(timer);
    },
  };
}
