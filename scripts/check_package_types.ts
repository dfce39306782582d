/**
 * Type-checks the packed npm package as a typical Node project would use
 * it: `"lib": ["ES2023"]` (no DOM), `@types/node` and `skipLibCheck: false`,
 * once for each of Node 20's, 22's and 24's `@types/node` (the aliased dev
 * dependencies `@types/node20`, `@types/node`, `@types/node24`).
 *
 * The consumer (`CONSUMER` below) uses the typed surface: `addEventListener`
 * with `WebSocketEventMap`, `onerror`'s `error`, `for await` over a
 * `WebSocket`, `WebSocketStream`; `@ts-expect-error` lines prove that the
 * types are precise (not `any`). It also fails when a JSDoc example in a
 * `.d.ts` still imports from a relative path instead of `"wsport"`.
 *
 * Usage: `deno run -A scripts/check_package_types.ts` after
 * `scripts/build_npm.ts` (which leaves the unpacked tarball in
 * `.test-build/smoke/node_modules/wsport`).
 *
 * @module
 */

import { exists, listFiles, ROOT } from "./_files.ts";
import { runProcess } from "./_process.ts";
import { BUILD_DIR, type StepResult } from "./build_npm.ts";

/** The `@types/node` packages checked, by Node major version. */
export const TYPES_NODE: Readonly<Record<string, string>> = {
  "20": "@types/node20",
  "22": "@types/node",
  "24": "@types/node24",
};

const CONSUMER = `import { WebSocket, WebSocketStream, type MessageData } from "wsport";
import { createEchoServer } from "wsport/testing";

const server = createEchoServer();
const socket = new WebSocket("ws://echo.test/", { transport: server.connector });
socket.addEventListener("open", (event) => {
  const type: string = event.type;
  void type;
});
socket.addEventListener("message", (event) => {
  const data: string | ArrayBuffer | Blob | Uint8Array = event.data;
  // @ts-expect-error data is a string, an ArrayBuffer or a Blob, not any
  const wrong: number = event.data;
  void data, wrong;
});
socket.addEventListener("close", (event) => {
  const code: number = event.code;
  const reason: string = event.reason;
  void code, reason;
});
socket.onerror = (event) => {
  const cause: unknown = event.error;
  const message: string = event.message;
  void cause, message;
};
socket.onmessage = (event) => void (event.data satisfies MessageData);
socket.addEventListener("custom", (event: Event) => void event);
for await (const message of socket) {
  const data: string | ArrayBuffer | Blob | Uint8Array = message;
  // @ts-expect-error messages are typed
  const wrong: number = message;
  void data, wrong;
}
const stream = new WebSocketStream("ws://echo.test/", { transport: server.connector });
const { readable, writable } = await stream.opened;
await writable.getWriter().write(new Uint8Array([1, 2, 3]));
void readable;
`;

/**
 * Runs the check for every version in {@linkcode TYPES_NODE}, in parallel.
 *
 * @returns Whether every version type-checked, and what went wrong.
 */
export async function checkPackageTypes(): Promise<StepResult> {
  const problems: string[] = [];
  const installed = `${BUILD_DIR}/smoke/node_modules/wsport`;
  if (!exists(`${installed}/package.json`)) {
    return { ok: false, problems: [`${installed} is missing: run scripts/build_npm.ts first`] };
  }
  const relative = /^\s*\*\s*(?:import|export)\b.*\bfrom\s*["'](?:\.{1,2}\/|@wsport\/)/;
  for (const file of listFiles(installed, (path) => path.endsWith(".d.ts"))) {
    const lines = Deno.readTextFileSync(`${ROOT}/${file}`).split("\n");
    const bad = lines.findIndex((line) => relative.test(line));
    if (bad >= 0) {
      problems.push(
        `${file}:${bad + 1}: a JSDoc example imports a relative path or the JSR name: ${
          lines[bad]
        }`,
      );
    }
  }
  const results = await Promise.all(
    Object.entries(TYPES_NODE).map(async ([major, types]) => {
      const dir = `${BUILD_DIR}/types-node${major}`;
      try {
        Deno.removeSync(`${ROOT}/${dir}`, { recursive: true });
      } catch { /* first run */ }
      Deno.mkdirSync(`${ROOT}/${dir}/node_modules/@types`, { recursive: true });
      Deno.symlinkSync(`${ROOT}/${installed}`, `${ROOT}/${dir}/node_modules/wsport`);
      Deno.symlinkSync(`${ROOT}/node_modules/${types}`, `${ROOT}/${dir}/node_modules/@types/node`);
      Deno.writeTextFileSync(`${ROOT}/${dir}/consumer.mts`, CONSUMER);
      Deno.writeTextFileSync(
        `${ROOT}/${dir}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            module: "NodeNext",
            moduleResolution: "NodeNext",
            target: "ES2022",
            lib: ["ES2023"],
            types: ["node"],
            strict: true,
            noEmit: true,
            skipLibCheck: false,
          },
          files: ["consumer.mts"],
        }),
      );
      const result = await runProcess(
        Deno.env.get("NODE_BIN") ?? "node",
        [
          `${ROOT}/node_modules/typescript/bin/tsc`,
          "-p",
          `${dir}/tsconfig.json`,
          "--pretty",
          "false",
        ],
        { cwd: ROOT, echo: false, timeoutMs: 300_000 },
      );
      return { major, result };
    }),
  );
  for (const { major, result } of results) {
    if (result.code !== 0) {
      console.error(`check_package_types: @types/node ${major}:\n${result.output.trimEnd()}`);
      problems.push(`the package does not type-check with Node ${major}'s @types/node, lib ES2023`);
    }
  }
  const ok = problems.length === 0;
  for (const problem of problems) console.error(`check_package_types: ${problem}`);
  console.log(
    `check_package_types: @types/node ${Object.keys(TYPES_NODE).join(", ")}, lib ES2023, ` +
      `skipLibCheck false: ${ok ? "ok" : "FAILED"}`,
  );
  return { ok, problems };
}

if (import.meta.main) {
  Deno.exit((await checkPackageTypes()).ok ? 0 : 1);
}
