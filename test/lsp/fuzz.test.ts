// The server over stdio under random, seeded abuse: edits with out-of-range positions, CR / CRLF / LF line breaks,
// deep nesting, huge lines, surrogate pairs; whole-text replacements; requests at random positions; malformed
// messages (wrong types, missing fields, null text, hostile URIs, unknown methods, a body that is not JSON); close
// and reopen. After every step: the server is alive, every request was answered, and its text equals the
// client's (the oracle below applies the same changes by the LSP rules, recomputing lines from the text each
// time as an editor's model does; the server's copy is read back with the test-only documentText request). RSS is
// sampled from /proc and bounded.
// KP_FUZZ_SEED and KP_FUZZ_STEPS reproduce or lengthen a run; the figures are printed as test diagnostics.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Position, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { mulberry32 } from '../../server/src/derive/prng';
import { LspClient, uriOf } from './client';
import { kernelsCu, tempDir, tritonPy } from './fixtures';

const SEED = Number(process.env.KP_FUZZ_SEED ?? 20251128);
const MAX_STEPS = Number(process.env.KP_FUZZ_STEPS ?? 2000);
/** Wall-clock budget for the steps: CI machines differ; the figures say how many ran. */
const BUDGET_MS = Number(process.env.KP_FUZZ_BUDGET_MS ?? 120_000);
const ANSWER_MS = 30_000;
const MAX_RSS_MB = 1536;
const MAX_DOC_CHARS = 2_000_000;

const dir = tempDir('kp-lsp-fuzz-');
after(() => rmSync(dir, { recursive: true, force: true }));

const specText = JSON.stringify({ kernel: 'vector_add', sizes: { n: 1024 }, args: [{ name: 'a', role: 'input', dtype: 'float32', shape: ['n'] }], launch: { grid: ['cdiv(n, 256)'], block: ['256'] } }, null, 2);

const snippets = [
  '__global__ void fuzz_k(float* p, int n) { p[0] = n; }\n',
  'template <typename T>\n__global__ void fuzz_t(T* x) {}\r\n',
  'namespace fz {\r__global__ void in_ns(int* p) {}\r}\r',
  '@triton.jit\ndef fuzz_kernel(x_ptr, n, BLOCK: tl.constexpr):\n    pass\n',
  'k<<<(n + 255) / 256, 256>>>(a, b, n);\n',
  '\r\n', '\r', '\n', '\r\r\n\n', '}', '{', '/*', '*/', '"', '#if 0\n', '#endif\n',
  'é', '😀', '\uD83D', '\uDE00', '\u0000', '\uFFFD',
  '"grid": ["' + '('.repeat(1000) + 'n' + ')'.repeat(1000) + '"]',
  '['.repeat(3000) + ']'.repeat(3000),
  '('.repeat(2000) + '1' + ')'.repeat(2000),
  'namespace a { '.repeat(800) + '__global__ void deep(int* p) {}' + ' }'.repeat(800),
  '{'.repeat(3000),
];

function randomText(random: () => number): string {
  const roll = random();
  if (roll < 0.6) return snippets[Math.floor(random() * snippets.length)];
  if (roll < 0.7) return 'x'.repeat(20_000 + Math.floor(random() * 200_000)); // a huge line
  const chars = 'abc_ \t\n\r(){}[]<>;,*&"\'/\\#';
  return Array.from({ length: Math.floor(random() * 40) }, () => chars[Math.floor(random() * chars.length)]).join('');
}

/**
 * The client's copy, by the LSP rules and written independently of the server's code: `\r\n`, `\n` and a lone
 * `\r` end lines, recomputed from the text for every change (vscode-languageserver-textdocument updates its line
 * table incrementally and drifts when an edit joins a `\r` to a `\n`: it cannot be the oracle), and a position
 * past a line's end or past the last line means that end.
 */
class Model {
  constructor(
    readonly languageId: string,
    public text: string,
    public version: number,
  ) {}

  lines(): { start: number; end: number }[] {
    const lines: { start: number; end: number }[] = [];
    const breaks = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = breaks.exec(this.text); m; m = breaks.exec(this.text)) {
      lines.push({ start, end: m.index });
      start = m.index + m[0].length;
    }
    lines.push({ start, end: this.text.length });
    return lines;
  }

  offsetAt(p: Position): number {
    const lines = this.lines();
    if (p.line < 0) return 0;
    if (p.line >= lines.length) return this.text.length;
    const { start, end } = lines[p.line];
    return start + Math.max(0, Math.min(p.character, end - start));
  }

  apply(changes: TextDocumentContentChangeEvent[]): void {
    for (const change of changes) {
      if (!('range' in change)) {
        this.text = change.text;
        continue;
      }
      const [a, b] = [this.offsetAt(change.range.start), this.offsetAt(change.range.end)].sort((x, y) => x - y);
      this.text = this.text.slice(0, a) + change.text + this.text.slice(b);
    }
    this.version++;
  }
}

/** A position anywhere: inside the text, past a line's end, past the last line, or (rarely) negative. */
function randomPosition(random: () => number, model: Model): Position {
  const lines = model.lines();
  const roll = random();
  if (roll < 0.05) return { line: -1 - Math.floor(random() * 3), character: Math.floor(random() * 5) };
  if (roll < 0.15) return { line: lines.length + Math.floor(random() * 5), character: Math.floor(random() * 50) };
  const line = Math.floor(random() * lines.length);
  const length = lines[line].end - lines[line].start;
  return { line, character: random() < 0.2 ? length + Math.floor(random() * 100) : Math.floor(random() * (length + 1)) };
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

interface Doc {
  uri: string;
  languageId: string;
  initial: string;
  model: Model;
}

test('fuzz over stdio: no exit, every request answered, the server text equal to the client text, RSS bounded', { timeout: BUDGET_MS + 120_000 }, async (t) => {
  mkdirSync(join(dir, '.kernelpilot', 'specs'), { recursive: true });
  const docs: Doc[] = [
    { uri: uriOf(join(dir, 'fuzz.cu')), languageId: 'cuda-cpp', initial: kernelsCu },
    { uri: uriOf(join(dir, 'fuzz.py')), languageId: 'python', initial: tritonPy },
    { uri: uriOf(join(dir, '.kernelpilot', 'specs', 'vector_add.json')), languageId: 'json', initial: specText },
  ].map((d) => ({ ...d, model: new Model(d.languageId, d.initial, 1) }));
  const client = await LspClient.start({ root: dir, settings: { check: { onOpen: false, onSave: false } }, env: { KERNELPILOT_DEBUG_REQUESTS: '1' } });
  const random = mulberry32(SEED);
  const figures = { steps: 0, requests: 0, answeredWithError: 0, unanswered: 0, exits: 0, maxRssMb: 0 };
  const pid = client.process.pid as number;

  const request = async (method: string, params: unknown): Promise<unknown> => {
    figures.requests++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ANSWER_MS)));
    try {
      const answer = await Promise.race([client.request(method, params).then((value) => ({ value }), (error: unknown) => ({ error })), late]);
      if (answer === 'late') {
        figures.unanswered++;
        throw new Error(`${method} was not answered within ${ANSWER_MS} ms (seed ${SEED}, step ${figures.steps})`);
      }
      if ('error' in answer) {
        if (client.exitCode !== undefined) throw answer.error;
        figures.answeredWithError++;
        return undefined;
      }
      return answer.value;
    } finally {
      clearTimeout(timer);
    }
  };

  const open = async (doc: Doc, text: string) => {
    doc.model = new Model(doc.languageId, text, doc.model.version + 1);
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: doc.uri, languageId: doc.languageId, version: doc.model.version, text } });
  };
  const change = async (doc: Doc, changes: TextDocumentContentChangeEvent[]) => {
    doc.model.apply(changes);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: doc.uri, version: doc.model.version }, contentChanges: changes });
  };
  const malformed: (() => Promise<unknown>)[] = [
    () => client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: 42, languageId: 'cuda-cpp', version: 1, text: 'x' } }),
    () => client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uriOf(join(dir, 'null.cu')), languageId: 'cuda-cpp', version: 1, text: null } }),
    () => client.connection.sendNotification('textDocument/didOpen', {}),
    () => client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file://host/share/x.cu', languageId: 'cuda-cpp', version: 1, text: kernelsCu } }),
    () => client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///tmp/a%2Fb.cu', languageId: 'cuda-cpp', version: 1, text: kernelsCu } }),
    () => client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(join(dir, 'never-opened.cu')), version: 2 }, contentChanges: [{ text: 'x' }] }),
    () => client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: docs[0].uri, version: 'x' }, contentChanges: 'not a list' }),
    () => client.connection.sendNotification('textDocument/didClose', { textDocument: null }),
    () => client.connection.sendNotification('kernelpilot/noSuchNotification', { anything: true }),
    () => request('kernelpilot/noSuchRequest', { anything: true }),
    () => request('textDocument/hover', { textDocument: { uri: docs[0].uri }, position: { line: 'a', character: null } }),
    () => request('textDocument/hover', null),
    () => request('textDocument/documentSymbol', { textDocument: { uri: 7 } }),
    () => request('textDocument/codeAction', { textDocument: { uri: docs[0].uri }, range: null, context: {} }),
    () => request('workspace/executeCommand', { command: 'kernelpilot.server.recheck', arguments: { not: 'an array' } }),
    () => request('workspace/executeCommand', { command: 'kernelpilot.server.cancelBenchmark', arguments: [docs[0].uri, 12] }),
    () => request('workspace/executeCommand', { command: 'kernelpilot.server.noSuchCommand', arguments: [] }),
    async () => client.process.stdin.write('Content-Length: 9\r\n\r\n{not json'),
  ];

  try {
    for (const doc of docs) await open(doc, doc.initial);
    const started = Date.now();
    while (figures.steps < MAX_STEPS && Date.now() - started < BUDGET_MS) {
      figures.steps++;
      const doc = docs[Math.floor(random() * docs.length)];
      const roll = random();
      if (roll < 0.45) {
        const changes = Array.from({ length: 1 + Math.floor(random() * 3) }, (): TextDocumentContentChangeEvent => {
          const a = randomPosition(random, doc.model);
          const b = random() < 0.5 ? a : randomPosition(random, doc.model);
          return { range: { start: a, end: b }, text: randomText(random) };
        });
        // Both sides apply the changes in order, each to the text the one before it left.
        await change(doc, changes);
      } else if (roll < 0.5) {
        await change(doc, [{ text: random() < 0.5 ? doc.initial : randomText(random) + doc.initial.replace(/\n/g, random() < 0.5 ? '\r\n' : '\r') }]);
      } else if (roll < 0.8) {
        const position = randomPosition(random, doc.model);
        const method = ['textDocument/documentSymbol', 'textDocument/codeLens', 'textDocument/hover', 'textDocument/codeAction'][Math.floor(random() * 4)];
        await request(method, { textDocument: { uri: doc.uri }, position, range: { start: position, end: position }, context: { diagnostics: [] } });
      } else if (roll < 0.92) {
        await malformed[Math.floor(random() * malformed.length)]();
      } else {
        await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: doc.uri } });
        await open(doc, random() < 0.7 ? doc.initial : randomText(random));
      }
      if (doc.model.text.length > MAX_DOC_CHARS) await change(doc, [{ text: doc.initial }]);

      for (const d of docs) {
        const answer = (await request('kernelpilot/debug/documentText', { textDocument: { uri: d.uri } })) as { text: string | null } | undefined;
        const expected = d.model.text;
        if (answer?.text !== expected) {
          assert.fail(`step ${figures.steps} (seed ${SEED}): the server's text of ${d.uri} differs from the client's (${answer?.text?.length ?? 'no'} vs ${expected.length} characters)`);
        }
      }
      figures.maxRssMb = Math.max(figures.maxRssMb, rssMb(pid));
      assert.equal(client.exitCode, undefined, `the server exited at step ${figures.steps} (seed ${SEED})`);
    }
  } catch (error) {
    t.diagnostic(client.transcript().slice(-20_000));
    throw error;
  } finally {
    if (client.exitCode !== undefined) figures.exits++;
    t.diagnostic(`fuzz seed ${SEED}: steps ${figures.steps}, requests ${figures.requests} (${figures.answeredWithError} answered with an error), unanswered ${figures.unanswered}, exits ${figures.exits}, max RSS ${figures.maxRssMb.toFixed(0)} MB`);
    await client.dispose();
  }
  assert.equal(figures.exits, 0);
  assert.equal(figures.unanswered, 0);
  assert.ok(figures.maxRssMb < MAX_RSS_MB, `max RSS ${figures.maxRssMb.toFixed(0)} MB (limit ${MAX_RSS_MB} MB)`);
  assert.ok(figures.steps >= 50, `only ${figures.steps} steps ran in ${BUDGET_MS} ms: the server is too slow to fuzz`);
  // Malformed messages are logged in one line each, never with a stack trace.
  assert.ok(!/\n\s+at /.test(client.logs.join('\n')), 'no stack traces in the server log');
});
