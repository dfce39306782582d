/**
 * Keeps the protocol core portable and synchronous (guide, points 1 and 20).
 *
 * In `src/protocol/` and `src/web/`, code must not:
 * - import `node:*` or a bare Node built-in (`fs`, `net`, …), even as a type;
 * - mention the runtime globals `Deno`, `Bun` or `process`
 *   (runtime detection lives in `src/transport/select.ts` only);
 * - call `Math.random` (randomness is injected, with a secure default).
 *
 * In `src/protocol/` and `src/proxy/` (the proxy handshakes), code must also not:
 * - use `Promise`, `PromiseLike`, `async` or `await` (nothing there waits);
 * - use timers (`setTimeout`, `setInterval`, `setImmediate`, `queueMicrotask`);
 * - read a clock (`Date.now()`, `new Date()`, `performance`).
 *
 * Comments are not code: a JSDoc example showing a driver loop with
 * `await` is fine. The checks walk the TypeScript syntax tree.
 *
 * Then `src/protocol/` is type-checked with `tsconfig.core.json`: libs
 * ES2023 and DOM only, no `@types/node`, no Deno or Bun types.
 *
 * Usage: `deno run -A scripts/check_core.ts` (exits 1 on any finding).
 *
 * @module
 */

import { builtinModules } from "node:module";
import ts from "typescript";
import { listFiles, ROOT } from "./_files.ts";

/** One rule broken at one place. */
export interface CoreViolation {
  /** `path:line:column`, the path relative to the repository root. */
  readonly where: string;
  /** What is wrong, and where that code belongs instead. */
  readonly message: string;
}

const NODE_BUILTINS = new Set(builtinModules);
const RUNTIME_GLOBALS = new Set(["Deno", "Bun", "process"]);
const ASYNC_NAMES = new Set(["Promise", "PromiseLike"]);
const TIMER_NAMES = new Set(["setTimeout", "setInterval", "setImmediate", "queueMicrotask"]);
const GLOBAL_OBJECTS = new Set(["globalThis", "self", "window"]);

const WHY_RUNTIME = "the core and the web layer are runtime-neutral; runtime code goes in " +
  "src/transport/ and detection in src/transport/select.ts";
const WHY_ASYNC = "nothing in src/protocol/ returns a Promise or waits; do async work in the " +
  "driver (src/driver.ts) and hand the result in";
const WHY_TIMER = "the core never schedules; timers belong to src/driver.ts";
const WHY_CLOCK = "the core never reads a clock; pass times in from the driver";
const WHY_RANDOM =
  "randomness is injected (randomBytes option) with a crypto.getRandomValues default";

/** Whether `node` is a name that refers to a binding, not a property name. */
function isReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) {
    // `globalThis.Deno` refers to the global; `x.process` does not.
    return ts.isIdentifier(parent.expression) && GLOBAL_OBJECTS.has(parent.expression.text);
  }
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if (
    (ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent) ||
      ts.isPropertyAssignment(parent) || ts.isGetAccessor(parent) || ts.isSetAccessor(parent) ||
      ts.isEnumMember(parent)) && parent.name === node
  ) {
    return false;
  }
  return true;
}

function moduleSpecifierOf(node: ts.Node): ts.Expression | undefined {
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return node.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return node.moduleReference.expression;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
    return node.argument.literal;
  }
  if (
    ts.isCallExpression(node) &&
    (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
      (ts.isIdentifier(node.expression) && node.expression.text === "require"))
  ) {
    return node.arguments[0];
  }
  return undefined;
}

function isNodeModule(specifier: string): boolean {
  return specifier.startsWith("node:") || NODE_BUILTINS.has(specifier.split("/")[0] ?? "");
}

/**
 * Finds the rules broken in one source file.
 *
 * @param path The file, relative to the repository root.
 * @param source Its text.
 * @param isProtocol Whether the `src/protocol/`-only rules apply.
 * @returns The violations, in source order.
 */
export function findViolations(path: string, source: string, isProtocol: boolean): CoreViolation[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const violations: CoreViolation[] = [];
  function report(node: ts.Node, message: string): void {
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
    violations.push({ where: `${path}:${line + 1}:${character + 1}`, message });
  }
  function visit(node: ts.Node): void {
    const specifier = moduleSpecifierOf(node);
    if (
      specifier !== undefined && ts.isStringLiteralLike(specifier) && isNodeModule(specifier.text)
    ) {
      report(node, `imports "${specifier.text}": ${WHY_RUNTIME}`);
    }
    if (ts.isIdentifier(node) && isReference(node)) {
      if (RUNTIME_GLOBALS.has(node.text)) report(node, `uses ${node.text}: ${WHY_RUNTIME}`);
      if (isProtocol && ASYNC_NAMES.has(node.text)) report(node, `uses ${node.text}: ${WHY_ASYNC}`);
      if (isProtocol && TIMER_NAMES.has(node.text)) report(node, `uses ${node.text}: ${WHY_TIMER}`);
      if (isProtocol && node.text === "performance") {
        report(node, `uses performance: ${WHY_CLOCK}`);
      }
    }
    if (
      ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) &&
      GLOBAL_OBJECTS.has(node.expression.text) && ts.isStringLiteralLike(node.argumentExpression) &&
      RUNTIME_GLOBALS.has(node.argumentExpression.text)
    ) {
      report(node, `uses ${node.argumentExpression.text}: ${WHY_RUNTIME}`);
    }
    if (
      ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "Math" && node.name.text === "random"
    ) {
      report(node, `uses Math.random: ${WHY_RANDOM}`);
    }
    if (isProtocol) visitProtocolOnly(node);
    ts.forEachChild(node, visit);
  }
  function visitProtocolOnly(node: ts.Node): void {
    if (node.kind === ts.SyntaxKind.AsyncKeyword) report(node, `uses async: ${WHY_ASYNC}`);
    if (ts.isAwaitExpression(node)) report(node, `uses await: ${WHY_ASYNC}`);
    if (ts.isForOfStatement(node) && node.awaitModifier !== undefined) {
      report(node, `uses for await: ${WHY_ASYNC}`);
    }
    if (
      ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "Date" && node.name.text === "now"
    ) {
      report(node, `uses Date.now(): ${WHY_CLOCK}`);
    }
    if (
      ts.isNewExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "Date" && (node.arguments?.length ?? 0) === 0
    ) {
      report(node, `uses new Date(): ${WHY_CLOCK}`);
    }
  }
  visit(file);
  return violations;
}

function isSource(path: string): boolean {
  return path.endsWith(".ts");
}

/**
 * Applies the source rules to every file of `src/protocol/` and `src/web/`.
 *
 * @returns The violations, by file.
 */
export function findCoreViolations(): CoreViolation[] {
  const violations: CoreViolation[] = [];
  // src/proxy/ holds the proxy handshakes: sans-I/O like the core, same rules.
  for (const dir of ["src/protocol", "src/proxy", "src/web"]) {
    for (const path of listFiles(dir, isSource)) {
      const source = Deno.readTextFileSync(`${ROOT}/${path}`);
      violations.push(...findViolations(path, source, dir !== "src/web"));
    }
  }
  return violations;
}

/**
 * Type-checks `src/protocol/` with `tsconfig.core.json` (ES2023 and DOM
 * libs, no `@types/node`).
 *
 * @returns The diagnostics, formatted; empty when the check passes.
 */
export function typeCheckCore(): string {
  const configPath = `${ROOT}/tsconfig.core.json`;
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic(diagnostic) {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  };
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
  if (config === undefined) return `Cannot read ${configPath}`;
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });
}

/**
 * Runs both checks and prints the findings.
 *
 * @returns `true` when nothing was found.
 */
export function checkCore(): boolean {
  const violations = findCoreViolations();
  for (const { where, message } of violations) console.error(`${where}: ${message}`);
  const typeErrors = typeCheckCore();
  if (typeErrors !== "") {
    console.error(typeErrors.trimEnd());
    console.error(
      "check_core: src/protocol/ must type-check with lib ES2023 + DOM and no @types/node " +
        "(tsconfig.core.json)",
    );
  }
  const ok = violations.length === 0 && typeErrors === "";
  if (ok) {
    console.log("check_core: src/protocol/ and src/web/ are runtime-neutral and synchronous");
  } else if (violations.length > 0) {
    console.error(`check_core: ${violations.length} violation(s) in src/protocol/ or src/web/`);
  }
  return ok;
}

if (import.meta.main) {
  Deno.exit(checkCore() ? 0 : 1);
}
