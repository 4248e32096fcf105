// Small helpers for the extension test suite: polling and flattening the shapes VS Code's
// execute*Provider commands return, so the checks in index.ts read as plain assertions.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it returns a value other than undefined, or gives up after `timeoutMs`. */
export async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() >= deadline) return value;
    await sleep(intervalMs);
  }
}

/** Hover contents come back as MarkdownString, plain strings, or the deprecated {language, value} shape. */
export function hoverText(hovers: readonly vscode.Hover[]): string {
  const parts: string[] = [];
  for (const hover of hovers) {
    for (const content of hover.contents) {
      if (typeof content === 'string') parts.push(content);
      else parts.push(content.value);
    }
  }
  return parts.join('\n');
}

/** Document symbols may be hierarchical (DocumentSymbol) or flat (SymbolInformation); returns every name. */
export function symbolNames(symbols: readonly (vscode.DocumentSymbol | vscode.SymbolInformation)[]): string[] {
  const names: string[] = [];
  const walk = (list: readonly (vscode.DocumentSymbol | vscode.SymbolInformation)[]): void => {
    for (const symbol of list) {
      names.push(symbol.name);
      if ('children' in symbol && symbol.children) walk(symbol.children);
    }
  };
  walk(symbols);
  return names;
}

/** 0-based line of the first line in `doc` that contains `needle`; throws so a broken fixture fails loudly. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let line = 0; line < doc.lineCount; line++) {
    if (doc.lineAt(line).text.includes(needle)) return line;
  }
  throw new Error(`fixture ${doc.uri.fsPath} has no line containing ${JSON.stringify(needle)}`);
}

/**
 * The code-server runner screenshots the rendered CodeLens while the suite waits, then touches the file named
 * by KP_VSCODE_SCREENSHOT_FLAG. Without that variable (e.g. under @vscode/test-electron) there is nothing to wait for.
 */
export async function holdForScreenshot(log: (msg: string) => void): Promise<void> {
  const flag = process.env.KP_VSCODE_SCREENSHOT_FLAG;
  if (!flag) return;
  log('lenses ready; waiting for the runner to take its screenshot');
  const done = await poll(async () => (existsSync(flag) ? true : undefined), 20_000, 200);
  log(done ? 'screenshot taken' : 'runner took no screenshot within 20 s; continuing');
}

/**
 * Asks the code-server runner to act in the browser (optimize-run.mjs's serveRequest: type into the input box,
 * right-click a line and pick a menu item, press a key, take a screenshot) and waits until it did; returns what it said.
 */
export async function uiRequest(request: Record<string, unknown>, timeoutMs = 30_000): Promise<string> {
  const file = process.env.KP_UI_REQUEST;
  if (!file) throw new Error('KP_UI_REQUEST is not set: this step needs the code-server runner (KP_VSCODE_OPTIMIZE=1)');
  rmSync(`${file}.done`, { force: true });
  writeFileSync(file, JSON.stringify(request));
  const outcome = await poll(async () => (existsSync(`${file}.done`) ? readFileSync(`${file}.done`, 'utf8') : undefined), timeoutMs, 100);
  if (outcome === undefined) throw new Error(`the runner did not carry out ${JSON.stringify(request)} within ${timeoutMs} ms`);
  if (outcome.startsWith('failed')) throw new Error(`the runner could not carry out ${JSON.stringify(request)}: ${outcome}`);
  return outcome;
}

export type Step = [name: string, body: () => Promise<void>];

/**
 * Runs the steps in order, logging each; a failed step does not stop the next ones unless `canGoOn()` says the rest
 * would only fail for it (no document opened). Throws with every failure at the end.
 */
export async function runSteps(steps: readonly Step[], log: (msg: string) => void, canGoOn: () => boolean): Promise<void> {
  const failures: string[] = [];
  for (const [name, body] of steps) {
    const started = Date.now();
    try {
      await body();
      log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`FAIL ${name}: ${message}`);
      failures.push(`${name}: ${message}`);
      if (!canGoOn()) break;
    }
  }
  if (failures.length > 0) throw new Error(`${failures.length} check(s) failed:\n${failures.join('\n')}`);
  log(`all ${steps.length} checks passed`);
}
