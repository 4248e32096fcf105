#!/usr/bin/env node
// A scripted OpenAI-compatible endpoint for `kernelpilot optimize` on a GPU machine (bench/gpu-optimize.sh): plain
// node:http, no dependencies, answers read from one example's files. It serves the model's first answers in this
// order, one per request:
//   1. the example's honest fast candidates (candidates/fast_*.cu, with candidates/<name>.launch.json as a JSON
//      launch block where there is one);
//   2. each of its cheats and wrong candidates (every other candidates/*.cu, sorted);
//   3. "broken": the baseline with a call to an undeclared function at the top of the kernel — it cannot compile;
//   4. "slower": the baseline with a __nanosleep at the top of the kernel — correct, and slower.
// A Triton example (NAME.py): its candidates/*.py as whole files, fast_* first, in a ```python block.
// A folder of KernelBench solutions (no candidates/ folder: DIR/*.py, each a ModelNew file): each as a whole file in a
// ```python block, honest* / fast* / example* first, the others (cheats) after, sorted.
// A repair request (the conversation holds an earlier answer) gets, for "broken", "repaired" (the baseline with the
// call removed and a comment in its place); for anything else the same answer again, as a model that insists would.
// Every answer starts with `Scripted answer NAME: …`, which the run records as the attempt's description, so the
// summary can tell which answer the loop chose. After the list: an answer without code.
//
//   node bench/scripted-endpoint.mjs --example examples/cuda/vector_add --url-file F [--log F.jsonl]
//       listens on 127.0.0.1 (a free port) and writes its base URL (http://127.0.0.1:PORT/v1) to F
//   node bench/scripted-endpoint.mjs --example examples/cuda/vector_add --list
//       prints the first answers' names, one a line (their number is the --candidates a run needs)
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { example: { type: 'string' }, 'url-file': { type: 'string' }, log: { type: 'string' }, list: { type: 'boolean', default: false } } });
if (!values.example || (!values.list && !values['url-file'])) {
  console.error('usage: node bench/scripted-endpoint.mjs --example DIR (--url-file F [--log F.jsonl] | --list)');
  process.exit(2);
}

/** The example's answers: what the model says first, in order, and what it says when asked to repair each. */
function answersOf(dir) {
  const name = basename(dir);
  if (existsSync(join(dir, `${name}.py`))) return tritonAnswersOf(dir);
  if (!existsSync(join(dir, 'candidates'))) return kernelBenchAnswersOf(dir);
  const baseline = readFileSync(join(dir, `${name}.cu`), 'utf8');
  const kernel = JSON.parse(readFileSync(join(dir, `${name}.spec.json`), 'utf8')).kernel.split('::').pop();
  // The examples' kernels have plain signatures: the body opens at the first `{` after `__global__ … kernel(`.
  const head = new RegExp(`__global__[^{;]*\\b${kernel}\\s*\\(`).exec(baseline);
  const open = head ? baseline.indexOf('{', head.index + head[0].length) : -1;
  if (open < 0) throw new Error(`${dir}/${name}.cu: no __global__ ${kernel}(…) { … } found`);
  const withLine = (line) => `${baseline.slice(0, open + 1)}\n  ${line}${baseline.slice(open + 1)}`;
  const files = readdirSync(join(dir, 'candidates')).filter((f) => f.endsWith('.cu')).sort();
  const fromFile = (file) => {
    const launch = join(dir, 'candidates', file.replace(/\.cu$/, '.launch.json'));
    return { name: file.replace(/\.cu$/, ''), what: `candidates/${file}`, code: readFileSync(join(dir, 'candidates', file), 'utf8'), ...(existsSync(launch) ? { launch: readFileSync(launch, 'utf8').trim() } : {}) };
  };
  const first = [
    ...files.filter((f) => f.startsWith('fast_')).map(fromFile),
    ...files.filter((f) => !f.startsWith('fast_')).map(fromFile),
    { name: 'broken', what: 'the baseline calling an undeclared function (does not compile)', code: withLine('undeclared_scripted_helper();') },
    { name: 'slower', what: 'the baseline with a 1 µs __nanosleep per thread (correct, slower)', code: withLine('__nanosleep(1000);') },
  ];
  const repairs = { broken: { name: 'repaired', what: 'the broken answer with the undeclared call removed', code: withLine('// the undeclared call is gone') } };
  return { first, repairs };
}

/** A Triton example (examples/triton/NAME, NAME.py): its candidates as whole files, the fast ones first; no broken or slower variants. */
function tritonAnswersOf(dir) {
  const files = readdirSync(join(dir, 'candidates')).filter((f) => f.endsWith('.py')).sort();
  const fromFile = (file) => ({ name: file.replace(/\.py$/, ''), what: `candidates/${file}`, code: readFileSync(join(dir, 'candidates', file), 'utf8'), fence: 'python' });
  return { first: [...files.filter((f) => f.startsWith('fast_')), ...files.filter((f) => !f.startsWith('fast_'))].map(fromFile), repairs: {} };
}

/** KernelBench solutions (DIR/*.py, ModelNew files): the honest ones first. */
function kernelBenchAnswersOf(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.py')).sort();
  const honest = (f) => /^(honest|fast|example)/.test(f);
  const fromFile = (file) => ({ name: file.replace(/\.py$/, ''), what: file, code: readFileSync(join(dir, file), 'utf8'), fence: 'python' });
  return { first: [...files.filter(honest), ...files.filter((f) => !honest(f))].map(fromFile), repairs: {} };
}

function text(answer) {
  return [`Scripted answer ${answer.name}: ${answer.what}.`, '', `\`\`\`${answer.fence ?? 'cuda'}`, answer.code.trimEnd(), '```', ...(answer.launch ? ['', '```json', answer.launch, '```'] : [])].join('\n');
}

const { first, repairs } = answersOf(values.example);
if (values.list) {
  console.log(first.map((a) => a.name).join('\n'));
  process.exit(0);
}
const byName = new Map(first.map((a) => [a.name, a]));
let next = 0;

/** The answer to one chat request, and what it was. */
function answer(messages) {
  const earlier = messages.filter((m) => m.role === 'assistant').at(-1);
  if (earlier) {
    const name = /Scripted answer (\S+):/.exec(earlier.content)?.[1];
    const reply = repairs[name] ?? byName.get(name);
    if (reply) return { kind: 'repair', name: reply.name, content: text(reply) };
  }
  const reply = first[next++];
  return reply ? { kind: 'first', name: reply.name, content: text(reply) } : { kind: 'first', name: 'none', content: 'Scripted answers exhausted: nothing more to propose.' };
}

const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no ${req.method} ${req.url} here`, type: 'invalid_request_error' } }));
      return;
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `not JSON: ${error.message}`, type: 'invalid_request_error' } }));
      return;
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const served = answer(messages);
    const promptChars = messages.reduce((n, m) => n + String(m.content ?? '').length, 0);
    if (values.log) appendFileSync(values.log, `${JSON.stringify({ at: new Date().toISOString(), kind: served.kind, served: served.name })}\n`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `chatcmpl-scripted-${next}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'scripted',
        choices: [{ index: 0, message: { role: 'assistant', content: served.content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(served.content.length / 4), total_tokens: Math.ceil((promptChars + served.content.length) / 4) },
      }),
    );
  });
});

server.listen(0, '127.0.0.1', () => {
  // Written whole (renamed into place), so a script polling for the file never reads half a URL.
  const file = values['url-file'];
  writeFileSync(`${file}.tmp`, `http://127.0.0.1:${server.address().port}/v1\n`);
  renameSync(`${file}.tmp`, file);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
