// The discovery fixture corpus (test/fixtures/discovery) and its expectations, shared by the discovery tests.
// Kept out of the *.test.ts glob: it is a helper, not a test.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Kernel, KernelLanguage } from '../../server/src/kernels/model';

/** One expected kernel. Identity is (language, qualifiedName, line); every other field is checked only when given. */
export interface ExpectedKernel {
  name: string;
  qualifiedName: string;
  language: KernelLanguage;
  /** 0-based line of the name token. */
  line: number;
  /** 0-based UTF-16 column of the name token (what LSP counts). */
  character?: number;
  /** Parameter names in order. */
  params?: string[];
  /** How many launch sites are linked to the kernel. */
  launchSites?: number;
  /** Template parameter names in order. */
  templateParams?: string[];
  /** Attributes as written, compared as a set (order is not part of the contract). */
  attributes?: string[];
  /** Triton: names of the parameters marked constexpr, in order. */
  constexprParams?: string[];
  /** Triton: how many autotune configs were read. */
  autotuneConfigs?: number;
  /** KernelBench: `__init__` parameter names; whether get_inputs / get_init_inputs were found. */
  initParams?: string[];
  getInputs?: boolean;
  getInitInputs?: boolean;
  /** Ideally found (e.g. after unrecoverable broken syntax): may be missing, but must match when present. */
  optional?: boolean;
}

export const fixturesDir = join(__dirname, '..', 'fixtures', 'discovery');

const sourceExtensions = /\.(cu|cuh|cpp|cc|h|hpp|py)$/;

/** Every source fixture, as a '/'-separated path relative to fixturesDir, sorted. */
export function fixtureFiles(dir = fixturesDir): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...fixtureFiles(path));
    else if (sourceExtensions.test(entry.name)) files.push(relative(fixturesDir, path).split(sep).join('/'));
  }
  return files.sort();
}

export function loadExpectations(): Record<string, ExpectedKernel[]> {
  const parsed = JSON.parse(readFileSync(join(fixturesDir, 'expected.json'), 'utf8')) as { files: Record<string, ExpectedKernel[]> };
  return parsed.files;
}

function describe(k: { language: string; qualifiedName: string; line: number }): string {
  return `${k.language} ${k.qualifiedName} @ line ${k.line}`;
}

function lineOf(kernel: Kernel): number {
  return kernel.nameRange.start.line;
}

function same<T>(a: T[], b: T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Field-by-field differences between one expected kernel and the kernel that matched it. */
function fieldProblems(expected: ExpectedKernel, actual: Kernel): string[] {
  const problems: string[] = [];
  const check = <T>(field: string, want: T[] | undefined, got: T[]) => {
    if (want !== undefined && !same(want, got)) problems.push(`${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  if (expected.name !== actual.name) problems.push(`name: expected ${expected.name}, got ${actual.name}`);
  if (expected.character !== undefined && expected.character !== actual.nameRange.start.character) {
    problems.push(`character: expected ${expected.character}, got ${actual.nameRange.start.character}`);
  }
  check('params', expected.params, actual.params.map((p) => p.name));
  check('templateParams', expected.templateParams, actual.templateParams.map((p) => p.name));
  check('attributes (as a set)', expected.attributes && [...expected.attributes].sort(), [...actual.attributes].sort());
  check('constexprParams', expected.constexprParams, actual.params.filter((p) => p.constexpr).map((p) => p.name));
  check('initParams', expected.initParams, (actual.kernelbench?.initParams ?? []).map((p) => p.name));
  if (expected.launchSites !== undefined && expected.launchSites !== actual.launchSites.length) {
    problems.push(`launchSites: expected ${expected.launchSites}, got ${actual.launchSites.length} ${JSON.stringify(actual.launchSites.map((l) => l.callee))}`);
  }
  if (expected.autotuneConfigs !== undefined && expected.autotuneConfigs !== (actual.autotuneConfigs?.length ?? 0)) {
    problems.push(`autotuneConfigs: expected ${expected.autotuneConfigs}, got ${actual.autotuneConfigs?.length ?? 0}`);
  }
  if (expected.getInputs !== undefined && expected.getInputs !== (actual.kernelbench?.getInputs !== undefined)) problems.push(`getInputs: expected ${expected.getInputs}`);
  if (expected.getInitInputs !== undefined && expected.getInitInputs !== (actual.kernelbench?.getInitInputs !== undefined)) problems.push(`getInitInputs: expected ${expected.getInitInputs}`);
  return problems.map((p) => `  ${describe(expected)}: ${p}`);
}

export interface Comparison {
  /** Everything wrong, one line each; empty when the kernels match. */
  problems: string[];
  /** Optional kernels that were not found (reported, not failed). */
  missedOptional: string[];
}

/** Exact-set comparison: no expected kernel missing, no extra kernel found, and the given fields equal. */
export function compareKernels(actual: Kernel[], expected: ExpectedKernel[]): Comparison {
  const problems: string[] = [];
  const missedOptional: string[] = [];
  const unmatched = [...actual];
  for (const want of expected) {
    const index = unmatched.findIndex((k) => k.language === want.language && k.qualifiedName === want.qualifiedName && lineOf(k) === want.line);
    if (index < 0) {
      if (want.optional) missedOptional.push(describe(want));
      else problems.push(`  missing: ${describe(want)}`);
      continue;
    }
    const [got] = unmatched.splice(index, 1);
    problems.push(...fieldProblems(want, got));
  }
  for (const extra of unmatched) problems.push(`  extra: ${describe({ ...extra, line: lineOf(extra) })} (id ${extra.id})`);
  return { problems, missedOptional };
}

/** A readable failure message listing what differs, with the actual kernels for context. */
export function failureMessage(file: string, comparison: Comparison, actual: Kernel[]): string {
  const found = actual.map((k) => `    ${describe({ ...k, line: lineOf(k) })}`).join('\n') || '    (none)';
  return `${file}: discovery differs from expected.json\n${comparison.problems.join('\n')}\n  found:\n${found}`;
}
