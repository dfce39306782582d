/**
 * Reads the JUnit XML reports of `deno test`, `bun test` and `node --test`,
 * and counts **leaf** tests the same way for all three.
 *
 * A leaf is a test with no child test: an `it()` or `test()` without
 * subtests. A `describe()` is never counted, though each runtime reports it
 * differently:
 *
 * - Node writes a `<testsuite>` for every test with children and a
 *   `<testcase>` for every leaf; a test file that crashes becomes one failed
 *   `<testcase>` named after the file.
 * - Bun writes nested `<testsuite>`s for `describe()` and a `<testcase>` for
 *   every leaf. It leaves out errors thrown outside a test (in a `describe()`
 *   body or at a module's top level); its console summary counts them as
 *   `N errors`, which {@linkcode countBunReport} adds as failures.
 * - Deno maps `describe()` to a test and `it()` to a step, and writes a flat
 *   `<testcase>` for each, named with its ancestors: `group > nested > leaf`.
 *   A test case is a leaf when no other case is named `<its name> > …`. A
 *   parent that failed only because a step failed ("1 test step failed") is
 *   not counted again; a parent that failed for its own reason (a hook, an
 *   error in its body after the steps ran) counts as one failure.
 *
 * Skipped and todo tests count as skipped.
 *
 * @module
 */

/** An element of a parsed XML document. */
export interface XmlElement {
  /** The tag name; `#document` for the root returned by {@linkcode parseXml}. */
  readonly name: string;
  /** Attribute values, with entities decoded. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Child elements, in document order. */
  readonly children: XmlElement[];
  /** The text directly inside the element (CDATA included), entities decoded. */
  text: string;
}

/** The counts of one test file. */
export interface FileCount {
  passed: number;
  failed: number;
  skipped: number;
}

/** A skipped test: who, and why when the runner said. */
export interface SkipRecord {
  /** The test's file, when the report says. */
  readonly file: string;
  /** `describe > … > test`, without the file: the same on every runtime. */
  readonly name: string;
  /** The reason given with `skip: "…"`; Deno's and Bun's reports drop it. */
  readonly reason?: string;
}

/** The counts of one runtime's run. */
export interface TestCount {
  /** Leaf tests that passed. */
  passed: number;
  /** Leaf tests that failed, plus failures outside any test. */
  failed: number;
  /** Leaf tests skipped or marked todo. */
  skipped: number;
  /** A readable name for each failure, for the closing summary. */
  failures: string[];
  /** Each failure in full: its name, message and stack as the runner reported them. */
  details: string[];
  /** Per test file, in report order (files the report does not name go under `?`). */
  files: Map<string, FileCount>;
  /** Every skipped test. */
  skips: SkipRecord[];
}

/** Returns a count of zero. */
export function emptyCount(): TestCount {
  return {
    passed: 0,
    failed: 0,
    skipped: 0,
    failures: [],
    details: [],
    files: new Map(),
    skips: [],
  };
}

/** Adds `other` into `into`. */
export function addCount(into: TestCount, other: TestCount): void {
  into.passed += other.passed;
  into.failed += other.failed;
  into.skipped += other.skipped;
  into.failures.push(...other.failures);
  into.details.push(...other.details);
  for (const [file, count] of other.files) {
    const mine = fileCount(into, file);
    mine.passed += count.passed;
    mine.failed += count.failed;
    mine.skipped += count.skipped;
  }
  into.skips.push(...other.skips);
}

/** The counts of `file` in `count`, created at zero when missing. */
export function fileCount(count: TestCount, file: string): FileCount {
  let found = count.files.get(file);
  if (found === undefined) {
    found = { passed: 0, failed: 0, skipped: 0 };
    count.files.set(file, found);
  }
  return found;
}

function recordLeaf(
  count: TestCount,
  file: string,
  outcome: "passed" | "failed" | "skipped",
): void {
  count[outcome]++;
  fileCount(count, file)[outcome]++;
}

const ENTITIES: Readonly<Record<string, string>> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith("#x")) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return ENTITIES[body] ?? whole;
  });
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(/([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const name = match[1];
    if (name !== undefined) attributes[name] = decodeEntities(match[2] ?? match[3] ?? "");
  }
  return attributes;
}

/**
 * Parses the small XML subset JUnit reports use: elements, attributes,
 * text, comments, CDATA and the XML declaration. Text is dropped.
 *
 * @param source The document.
 * @returns A `#document` element holding the top-level elements.
 * @throws {SyntaxError} When tags are not balanced.
 */
export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const tag =
    /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][\s\S]*?>|<\/\s*([^\s>]+)\s*>|<([^\s/>]+)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;
  let last = 0;
  for (const match of source.matchAll(tag)) {
    const [whole, closing, opening, attributes = "", selfClosing] = match;
    const parent = stack[stack.length - 1]!;
    parent.text += decodeEntities(source.slice(last, match.index));
    last = match.index + whole.length;
    if (whole.startsWith("<![CDATA[")) parent.text += whole.slice(9, -3);
    if (closing !== undefined) {
      if (parent.name !== closing || stack.length === 1) {
        throw new SyntaxError(`Cannot parse XML: unexpected </${closing}> inside <${parent.name}>`);
      }
      stack.pop();
    } else if (opening !== undefined) {
      const element: XmlElement = {
        name: opening,
        attributes: parseAttributes(attributes),
        children: [],
        text: "",
      };
      parent.children.push(element);
      if (selfClosing !== "/") stack.push(element);
    }
  }
  if (stack.length !== 1) {
    throw new SyntaxError(`Cannot parse XML: <${stack[stack.length - 1]!.name}> is not closed`);
  }
  return root;
}

function childNamed(element: XmlElement, ...names: string[]): XmlElement | undefined {
  return element.children.find((child) => names.includes(child.name));
}

function failureMessage(testcase: XmlElement): string | undefined {
  const failure = childNamed(testcase, "failure", "error");
  if (failure === undefined) return undefined;
  return failure.attributes["message"] ?? failure.attributes["type"] ?? "failed";
}

function failureDetail(testcase: XmlElement, label: string): string {
  const failure = childNamed(testcase, "failure", "error");
  const message = failure?.attributes["message"] ?? "";
  const body = (failure?.text ?? "").trim();
  const text = body === "" || body.includes(message.trim())
    ? body || message
    : `${message}\n${body}`;
  return `✖ ${label}\n${text.trim().replace(/^/gm, "    ")}`;
}

function skipReason(testcase: XmlElement): string | undefined {
  const message = childNamed(testcase, "skipped")?.attributes["message"];
  return message === undefined || message === "" || message === "skipped" ? undefined : message;
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * Counts the `<testcase>` elements under `element`, each as one leaf. Used
 * for Node's and Bun's reports, where test cases are exactly the leaves.
 */
function countTestcases(
  element: XmlElement,
  path: string[],
  count: TestCount,
  file = "?",
): void {
  for (const child of element.children) {
    if (child.name === "testsuite") {
      const name = child.attributes["name"] ?? "";
      const childFile = child.attributes["file"];
      // Bun's file-level suite is named after the file: it is the file, not a describe().
      if (childFile !== undefined && childFile === name) {
        countTestcases(child, path, count, childFile);
      } else {
        countTestcases(child, name === "" ? path : [...path, name], count, childFile ?? file);
      }
    } else if (child.name === "testcase") {
      const message = failureMessage(child);
      const name = [...path, child.attributes["name"] ?? "?"].join(" > ");
      const label = file === "?" ? name : `${file} > ${name}`;
      if (message !== undefined) {
        recordLeaf(count, file, "failed");
        count.failures.push(`${label}: ${firstLine(message)}`);
        count.details.push(failureDetail(child, label));
      } else if (childNamed(child, "skipped") !== undefined) {
        recordLeaf(count, file, "skipped");
        const reason = skipReason(child);
        count.skips.push({ file, name, ...(reason === undefined ? {} : { reason }) });
      } else {
        recordLeaf(count, file, "passed");
      }
    } else {
      countTestcases(child, path, count, file);
    }
  }
}

/**
 * Counts a `node --test --test-reporter=junit` report.
 *
 * @param report The parsed report.
 * @returns The leaf counts.
 */
export function countNodeReport(report: XmlElement): TestCount {
  const count = emptyCount();
  countTestcases(report, [], count);
  return count;
}

/**
 * Counts a `bun test --reporter=junit` report, plus the errors outside any
 * test that only the console summary mentions (`N errors`).
 *
 * @param report The parsed report.
 * @param consoleOutput What `bun test` printed, stdout and stderr together.
 * @returns The leaf counts.
 */
export function countBunReport(report: XmlElement, consoleOutput: string): TestCount {
  const count = emptyCount();
  // Bun's file-level <testsuite> is named after the file: keep it in the path.
  countTestcases(report, [], count);
  // The summary comes last; a test could print a line that looks like it.
  const errors = [...consoleOutput.matchAll(/^\s*(\d+) errors?\s*$/gm)].pop();
  const errorCount = errors === undefined ? 0 : Number(errors[1]);
  if (errorCount > 0) {
    count.failed += errorCount;
    count.failures.push(
      `${errorCount} error(s) outside any test (a describe() body or a module's top level): see bun's output above`,
    );
  }
  return count;
}

function collectTestcases(element: XmlElement, into: XmlElement[]): void {
  for (const child of element.children) {
    if (child.name === "testcase") into.push(child);
    else collectTestcases(child, into);
  }
}

const STEP_FAILURE = /^\d+ test steps? failed/;

/**
 * Counts a `deno test --junit-path` report (see the module doc for how
 * leaves are found among Deno's flat test cases).
 *
 * @param report The parsed report.
 * @returns The leaf counts.
 */
export function countDenoReport(report: XmlElement): TestCount {
  const count = emptyCount();
  const testcases: XmlElement[] = [];
  collectTestcases(report, testcases);
  const names = testcases.map((testcase) => testcase.attributes["name"] ?? "");
  const parents = new Set<string>();
  for (const name of names) {
    const parts = name.split(" > ");
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join(" > "));
  }
  // Deno names a step's file "ext:deno_node/testing.ts": take the file of its top-level test.
  const topFiles = new Map<string, string>();
  for (const testcase of testcases) {
    const name = testcase.attributes["name"] ?? "";
    const file = testcase.attributes["classname"] ?? "";
    if (!name.includes(" > ") && file.startsWith("./")) topFiles.set(name, file.slice(2));
  }
  testcases.forEach((testcase, index) => {
    const name = names[index]!;
    const classname = testcase.attributes["classname"] ?? "";
    const file = classname.startsWith("./")
      ? classname.slice(2)
      : topFiles.get(name.split(" > ")[0]!) ?? "?";
    const label = file === "?" ? name : `${file} > ${name}`;
    const message = failureMessage(testcase);
    if (parents.has(name)) {
      if (message !== undefined && !STEP_FAILURE.test(message)) {
        recordLeaf(count, file, "failed");
        count.failures.push(`${label}: ${firstLine(message)}`);
        count.details.push(failureDetail(testcase, label));
      }
    } else if (message !== undefined) {
      recordLeaf(count, file, "failed");
      count.failures.push(`${label}: ${firstLine(message)}`);
      count.details.push(failureDetail(testcase, label));
    } else if (childNamed(testcase, "skipped") !== undefined) {
      recordLeaf(count, file, "skipped");
      const reason = skipReason(testcase);
      count.skips.push({ file, name, ...(reason === undefined ? {} : { reason }) });
    } else {
      recordLeaf(count, file, "passed");
    }
  });
  return count;
}
