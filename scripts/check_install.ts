/**
 * The README's install route that works today from a clone, tried as a new
 * user would, in scratch projects outside the repository (a temp dir, so
 * nothing resolves from the clone's `node_modules`), each ending in an echo
 * round trip with the `ws` echo server (`tests/peers/echo_server.mjs`):
 *
 * - npm: `npm install <the packed tarball>`, then `echo.mjs` on Node 20
 *   (`NODE_BIN`), Node 22 (`node_modules/node`) and Node 24
 *   (`node_modules/node24`);
 * - Bun: `bun add <the packed tarball>`, then `bun echo.ts`;
 * - Deno: `import … from "<clone>/mod.ts"`, then `deno run -A echo.ts`.
 *
 * And the `wsport` command the same ways, with `round trip` piped to its
 * stdin and `< round trip` expected on stdout: `npx wsport` (Node 20) in the
 * npm project, `bunx --bun wsport` in the Bun project, and
 * `deno run -A <clone>/src/cli.ts`.
 *
 * Also `deno publish --dry-run` and `npm publish --dry-run` (in `npm/`), and `npm ci` in a copy
 * of `package.json` and `package-lock.json` alone (a clean clone's install).
 *
 * Usage: `deno run -A scripts/check_install.ts` after `scripts/build_npm.ts`
 * (which packs the tarball into `.test-build/smoke/`).
 *
 * @module
 */

import { exists, ROOT } from "./_files.ts";
import { runProcess, startReadyProcess } from "./_process.ts";
import { BUILD_DIR, type StepResult } from "./build_npm.ts";

const ECHO_CLIENT = (specifier: string) =>
  `import { WebSocket } from "${specifier}";

const socket = new WebSocket(process.argv[2] ?? "");
socket.onopen = () => socket.send("round trip");
socket.onmessage = (event) => {
  console.log(\`echo: \${event.data}\`);
  socket.close(1000, "done");
};
socket.onerror = (event) => {
  console.error("error:", event.error);
  process.exit(2);
};
socket.onclose = (event) => {
  console.log(\`closed: \${event.code}\`);
  process.exit(event.code === 1000 ? 0 : 1);
};
`;

/** One route's outcome. */
export interface RouteResult {
  /** What was tried, e.g. `npm tarball → Node 22`. */
  readonly route: string;
  /** Whether the round trip printed `echo: round trip`. */
  readonly ok: boolean;
  /** Its output, for the report. */
  readonly output: string;
}

async function startEchoServer(node: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = await startReadyProcess(node, [`${ROOT}/tests/peers/echo_server.mjs`], ROOT);
  const { port } = server.ready as { port: number };
  return { url: `ws://127.0.0.1:${port}/`, stop: () => server.stop() };
}

/**
 * Tries every route and the publish dry-runs.
 *
 * @returns Whether all passed, and one line per problem.
 */
export async function checkInstall(): Promise<StepResult & { routes: RouteResult[] }> {
  const problems: string[] = [];
  const routes: RouteResult[] = [];
  const smoke = `${ROOT}/${BUILD_DIR}/smoke`;
  const tarball = [...Deno.readDirSync(smoke)].find((entry) => entry.name.endsWith(".tgz"))?.name;
  if (tarball === undefined) {
    return { ok: false, problems: ["no packed tarball: run scripts/build_npm.ts first"], routes };
  }
  const node20 = Deno.env.get("NODE_BIN") ?? "node";
  const nodes: [string, string][] = [
    ["Node 20", node20],
    ["Node 22", `${ROOT}/node_modules/node/bin/node`],
    ["Node 24", `${ROOT}/node_modules/node24/bin/node`],
  ];
  const deno = exists("node_modules/.bin/deno")
    ? `${ROOT}/node_modules/.bin/deno`
    : Deno.execPath();
  const bun = `${ROOT}/node_modules/.bin/bun`;
  const scratch = await Deno.makeTempDir({ prefix: "wsport-scratch-" });
  const server = await startEchoServer(node20);
  const tryRoute = async (route: string, command: string, args: string[], cwd: string) => {
    const result = await runProcess(command, [...args, server.url], {
      cwd,
      echo: false,
      timeoutMs: 60_000,
    });
    const ok = result.code === 0 && result.output.includes("echo: round trip");
    routes.push({ route, ok, output: result.output.trim() });
    console.log(`${ok ? "✔" : "✖"} ${route}: ${result.output.trim().split("\n").join(" | ")}`);
    if (!ok) problems.push(`${route}: no echo round trip (exit code ${result.code})`);
  };
  const tryCli = async (route: string, command: string, args: string[], cwd: string) => {
    const child = new Deno.Command(command, {
      args: [...args, server.url],
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("round trip\n"));
    await writer.close();
    const timer = setTimeout(() => child.kill(), 60_000);
    const result = await child.output();
    clearTimeout(timer);
    const output = new TextDecoder().decode(result.stdout) +
      new TextDecoder().decode(result.stderr);
    const ok = result.code === 0 && output.includes("< round trip\n");
    routes.push({ route, ok, output: output.trim() });
    console.log(`${ok ? "✔" : "✖"} ${route}: ${output.trim().split("\n").join(" | ")}`);
    if (!ok) problems.push(`${route}: no echo round trip (exit code ${result.code})`);
  };
  try {
    // npm: the packed tarball into a fresh project.
    const npmDir = `${scratch}/npm`;
    Deno.mkdirSync(npmDir);
    Deno.writeTextFileSync(
      `${npmDir}/package.json`,
      JSON.stringify({ name: "scratch-npm", private: true, type: "module" }),
    );
    const npmInstall = await runProcess(
      "npm",
      ["install", "--no-audit", "--no-fund", "--offline", `${smoke}/${tarball}`],
      { cwd: npmDir, echo: false },
    );
    if (npmInstall.code !== 0) {
      problems.push(`npm install ${tarball} failed: ${npmInstall.output.trim()}`);
    } else {
      Deno.writeTextFileSync(`${npmDir}/echo.mjs`, ECHO_CLIENT("wsport"));
      for (const [name, node] of nodes) {
        await tryRoute(`npm install wsport-*.tgz → ${name}`, node, ["echo.mjs"], npmDir);
      }
      await tryCli("npx wsport (Node 20)", "npx", ["--no-install", "wsport"], npmDir);
    }
    // Bun: the same tarball with bun add.
    const bunDir = `${scratch}/bun`;
    Deno.mkdirSync(bunDir);
    Deno.writeTextFileSync(
      `${bunDir}/package.json`,
      JSON.stringify({ name: "scratch-bun", private: true, type: "module" }),
    );
    const bunAdd = await runProcess(bun, ["add", `${smoke}/${tarball}`], {
      cwd: bunDir,
      echo: false,
    });
    if (bunAdd.code !== 0) {
      problems.push(`bun add ${tarball} failed: ${bunAdd.output.trim()}`);
    } else {
      Deno.writeTextFileSync(`${bunDir}/echo.ts`, ECHO_CLIENT("wsport"));
      await tryRoute("bun add wsport-*.tgz → Bun", bun, ["echo.ts"], bunDir);
      await tryCli("bunx --bun wsport", bun, ["x", "--bun", "wsport"], bunDir);
    }
    // Deno: an import of the clone's mod.ts.
    const denoDir = `${scratch}/deno`;
    Deno.mkdirSync(denoDir);
    Deno.writeTextFileSync(
      `${denoDir}/echo.ts`,
      `import process from "node:process";\n${ECHO_CLIENT(`${ROOT}/mod.ts`)}`,
    );
    await tryRoute("import <clone>/mod.ts → Deno", deno, ["run", "-A", "echo.ts"], denoDir);
    await tryCli(
      "deno run -A <clone>/src/cli.ts",
      deno,
      ["run", "-A", `${ROOT}/src/cli.ts`],
      denoDir,
    );
  } finally {
    await server.stop();
    await Deno.remove(scratch, { recursive: true });
  }
  // The publish dry-runs: both must succeed with no warning but npm's "not logged in".
  const denoPublish = await runProcess(deno, ["publish", "--dry-run", "--allow-dirty"], {
    cwd: ROOT,
    echo: false,
  });
  const denoWarnings = denoPublish.output.split("\n").filter((line) => /warning/i.test(line));
  console.log(
    `${denoPublish.code === 0 && denoWarnings.length === 0 ? "✔" : "✖"} deno publish --dry-run: ${
      denoPublish.output.trim().split("\n").pop()
    }`,
  );
  if (denoPublish.code !== 0 || denoWarnings.length > 0) {
    console.error(denoPublish.output);
    problems.push("deno publish --dry-run is not clean");
  }
  const npmPublish = await runProcess("npm", ["publish", "--dry-run"], {
    cwd: `${ROOT}/npm`,
    echo: false,
  });
  const npmWarnings = npmPublish.output.split("\n").filter((line) =>
    /\bwarn\b/i.test(line) && !/requires you to be logged in/.test(line)
  );
  console.log(
    `${npmPublish.code === 0 && npmWarnings.length === 0 ? "✔" : "✖"} npm publish --dry-run: ${
      npmPublish.output.trim().split("\n").pop()
    }`,
  );
  if (npmPublish.code !== 0 || npmWarnings.length > 0) {
    console.error(npmPublish.output);
    problems.push("npm publish --dry-run is not clean");
  }
  // A clean clone's `npm ci`: the lockfile must match package.json and carry every platform's
  // optional binaries (checked here in a copy holding only the two files).
  const ciDir = await Deno.makeTempDir({ prefix: "wsport-npm-ci-" });
  try {
    for (const file of ["package.json", "package-lock.json"]) {
      await Deno.copyFile(`${ROOT}/${file}`, `${ciDir}/${file}`);
    }
    const npmCi = await runProcess("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: ciDir,
      echo: false,
      timeoutMs: 300_000,
    });
    console.log(
      `${npmCi.code === 0 ? "✔" : "✖"} npm ci (package.json + package-lock.json alone): ${
        npmCi.output.trim().split("\n").pop()
      }`,
    );
    if (npmCi.code !== 0) {
      console.error(npmCi.output);
      problems.push("npm ci fails on a clean copy of package.json and package-lock.json");
    }
  } finally {
    await Deno.remove(ciDir, { recursive: true });
  }
  return { ok: problems.length === 0, problems, routes };
}

if (import.meta.main) {
  Deno.exit((await checkInstall()).ok ? 0 : 1);
}
