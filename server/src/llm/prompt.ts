// Fills the prompt templates (prompts/*.md, plain files a user can read and that ship inside the bundle) with what a
// GPU expert would want: the kernel and what it depends on, the bench spec, the GPU and its ceilings, the
// baseline's figures, a profiler report when there is one, and what was already tried with its outcome.

import { basename } from 'node:path';
import Mustache from 'mustache';
import { describeDistribution, toleranceFor } from '../benchspec/defaults';
import type { BenchSpec, LaunchConfig } from '../benchspec/model';
import { discover } from '../kernels/discover';
import type { KernelLanguage } from '../kernels/model';
import { kernelContext } from '../optimize/context';
import type { AttemptFeedback, ChatMessage, ProposalRequest } from '../optimize/proposer';
import { STRATEGY_TITLES, type StrategyId } from '../optimize/strategies';
import { configText } from '../optimize/triton-configs';
import proposeTemplate from './prompts/propose.md';
import repairTemplate from './prompts/repair.md';
import strategiesText from './prompts/strategies.md';
import systemTemplate from './prompts/system.md';
import kernelBenchProposeTemplate from './prompts/kernelbench-propose.md';
import kernelBenchRepairTemplate from './prompts/kernelbench-repair.md';
import kernelBenchSystemTemplate from './prompts/kernelbench-system.md';
import tritonProposeTemplate from './prompts/triton-propose.md';
import tritonRepairTemplate from './prompts/triton-repair.md';
import tritonSystemTemplate from './prompts/triton-system.md';

/** Templates are text with `{{…}}` fields; nothing is HTML, so nothing is escaped. */
function render(template: string, view: object): string {
  return Mustache.render(template, view, {}, { escape: (text: string) => text }).replace(/\n{3,}/g, '\n\n').trim();
}

/** The `## <strategy>` sections of strategies.md. */
function strategyGuidance(strategy: StrategyId): string {
  const sections = new Map<string, string>();
  for (const part of strategiesText.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline).trim(), part.slice(newline + 1).trim());
  }
  return sections.get(strategy) ?? '';
}

export function formatLaunch(launch: LaunchConfig): string {
  return `<<<grid (${launch.grid.join(', ')}), block (${launch.block.join(', ')})${launch.sharedMem ? `, shared memory ${launch.sharedMem} bytes` : ''}>>>`;
}

function sizesText(sizes: Record<string, number>): string {
  return Object.entries(sizes)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
}

function specView(spec: BenchSpec) {
  const dtypes = [...new Set(spec.args.filter((a) => a.role !== 'scalar').map((a) => a.dtype))];
  return {
    sizes: sizesText(spec.sizes),
    sweep: spec.sweep?.length ? spec.sweep.map(sizesText).join('; ') : '',
    args: spec.args.map((a) => ({
      name: a.name,
      description:
        a.role === 'scalar'
          ? `scalar ${a.dtype} = ${a.value ?? '?'}`
          : `${a.role} ${a.dtype}[${(a.shape ?? []).join(', ')}]${a.init ? `, filled ${describeDistribution(a.init)}` : ''}`,
    })),
    launch: formatLaunch(spec.launch),
    tolerance: dtypes.map((d) => `${d}: rtol ${toleranceFor(spec, d).rtol}, atol ${toleranceFor(spec, d).atol}`).join('; ') || 'exact',
    roofline: [spec.roofline?.bytes ? `bytes ${spec.roofline.bytes}` : '', spec.roofline?.flops ? `flops ${spec.roofline.flops}` : ''].filter(Boolean).join(', '),
  };
}

/** How much of an attempt's description the history shows: its first line, cut here (a model's prose runs long). */
const TRIED_DESCRIPTION_CHARS = 160;

/** The history for a prompt; every item has a description (empty: none), so the template never reads an outer one. */
function triedView(tried: ProposalRequest['tried']): Array<{ id: string; strategy: string; parent: string; result: string; description: string }> {
  return tried.map((t) => {
    const line = (t.description ?? '').trim().split('\n')[0] ?? '';
    const description = line.length > TRIED_DESCRIPTION_CHARS ? `${line.slice(0, TRIED_DESCRIPTION_CHARS - 1)}…` : line;
    return { id: t.id, strategy: t.strategy, parent: t.parent, result: t.result, description };
  });
}

function rate(value: number | undefined, unit: string): string {
  return value === undefined ? '' : `${(value / 1e12).toFixed(2)} ${unit}`;
}

/** The first user message of a proposal: the parent's kernel in context, the spec, the GPU, the history. */
export async function proposalPrompt(request: ProposalRequest): Promise<string> {
  const { problem, parent, strategy } = request;
  const { kernels } = await discover(problem.file, parent.candidate.source);
  const kernel = kernels.find((k) => k.qualifiedName === problem.kernel.qualifiedName) ?? problem.kernel;
  const context = await kernelContext(parent.candidate.source, kernel);
  const { baseline } = problem;
  const ceilings = [rate(baseline.gpu.copyBytesPerSecond, 'TB/s copy'), rate(baseline.gpu.fp32FlopsPerSecond, 'TFLOP/s FP32')].filter(Boolean).join(', ');
  return render(proposeTemplate, {
    kernel: { qualifiedName: problem.kernel.qualifiedName, text: context.kernel },
    context,
    strategy: { title: STRATEGY_TITLES[strategy], guidance: strategyGuidance(strategy) },
    parent: {
      derived: parent.id !== 'baseline',
      id: parent.id,
      speedup: parent.speedup.toFixed(2),
      launch: parent.candidate.launch ? formatLaunch(parent.candidate.launch) : '',
      flags: parent.candidate.extraFlags?.join(' ') ?? '',
    },
    spec: specView(problem.spec),
    gpu: { name: baseline.gpu.name, computeCapability: baseline.gpu.computeCapability ?? '', ceilings },
    baseline: {
      time: `${baseline.timeMs.toPrecision(3)} ms median`,
      roofline: baseline.fractionOfRoofline !== undefined ? `${(baseline.fractionOfRoofline * 100).toFixed(0)} % of the roofline${baseline.bound ? ` (${baseline.bound}-bound)` : ''}` : '',
    },
    profile: parent.profile ?? problem.profile ?? '',
    tried: triedView(request.tried),
  });
}

/** A Triton launch as the prompt shows it: the grid, the constexprs, num_warps and num_stages. */
function formatTritonLaunch(launch: LaunchConfig): string {
  const meta = [...Object.entries(launch.constexprs ?? {}).map(([k, v]) => `${k}=${String(v)}`), ...(launch.numWarps ? [`num_warps=${launch.numWarps}`] : []), ...(launch.numStages ? [`num_stages=${launch.numStages}`] : [])];
  return `grid (${launch.grid.join(', ')})${meta.length ? `, ${meta.join(', ')}` : ''}`;
}

/** The first user message of a proposal for a Triton kernel: its text, where the file launches it, the spec, the launch. */
async function tritonProposalPrompt(request: ProposalRequest): Promise<string> {
  const { problem, parent, strategy } = request;
  const source = parent.candidate.source;
  const { kernels } = await discover(problem.file, source);
  const kernel = kernels.find((k) => k.qualifiedName === problem.kernel.qualifiedName) ?? problem.kernel;
  const lines = source.split('\n');
  const autotune = problem.spec.triton?.autotune;
  return render(tritonProposeTemplate, {
    kernel: { qualifiedName: kernel.qualifiedName, text: lines.slice(kernel.range.start.line, kernel.range.end.line + 1).join('\n') },
    launchSites: kernel.launchSites.map((site) => ({ line: site.range.start.line + 1, code: `${site.callee}[${site.grid}](${site.args.join(', ')})` })),
    strategy: { title: STRATEGY_TITLES[strategy], guidance: strategyGuidance(strategy) },
    parent: { derived: parent.id !== 'baseline', id: parent.id, speedup: parent.speedup.toFixed(2) },
    spec: specView(problem.spec),
    launch: formatTritonLaunch(parent.candidate.launch ?? problem.spec.launch),
    autotune: autotune ? `${autotune.configs.length} configs keyed on ${autotune.key.join(', ') || 'nothing'}${parent.autotunePick ? `; for ${parent.id === 'baseline' ? 'the baseline' : parent.id} it picked ${configText(parent.autotunePick)}` : ''}` : '',
    gpu: { name: problem.baseline.gpu.name, computeCapability: problem.baseline.gpu.computeCapability ?? '' },
    baseline: { time: `${problem.baseline.timeMs.toPrecision(3)} ms median` },
    tried: triedView(request.tried),
  });
}

/** The first user message for a KernelBench task: the task file, the best ModelNew so far, the inputs, the GPU. */
function kernelBenchProposalPrompt(request: ProposalRequest): string {
  const { problem, parent, strategy } = request;
  const view = specView(problem.spec);
  return render(kernelBenchProposeTemplate, {
    task: basename(problem.file),
    taskText: problem.source,
    strategy: { title: STRATEGY_TITLES[strategy], guidance: strategyGuidance(strategy) },
    parent: { derived: parent.id !== 'baseline', id: parent.id, speedup: parent.speedup.toFixed(2), source: parent.candidate.source },
    sizes: view.sizes,
    inputs: view.args,
    tolerance: view.tolerance,
    gpu: { name: problem.baseline.gpu.name, computeCapability: problem.baseline.gpu.computeCapability ?? '' },
    baseline: { time: `${problem.baseline.timeMs.toPrecision(3)} ms median` },
    tried: triedView(request.tried),
  });
}

const TEMPLATES: Record<KernelLanguage, { system: string; repair: string }> = {
  cuda: { system: systemTemplate, repair: repairTemplate },
  triton: { system: tritonSystemTemplate, repair: tritonRepairTemplate },
  kernelbench: { system: kernelBenchSystemTemplate, repair: kernelBenchRepairTemplate },
};

export function systemPrompt(language: KernelLanguage = 'cuda'): string {
  return render(TEMPLATES[language].system, {});
}

export function repairPrompt(feedback: string, language: KernelLanguage = 'cuda'): string {
  return render(TEMPLATES[language].repair, { feedback });
}

async function proposalFor(request: ProposalRequest): Promise<string> {
  switch (request.problem.kernel.language) {
    case 'triton':
      return tritonProposalPrompt(request);
    case 'kernelbench':
      return kernelBenchProposalPrompt(request);
    case 'cuda':
      return proposalPrompt(request);
  }
}

/** The whole conversation for a request: system, the proposal, then each earlier answer and its feedback. */
export async function conversation(request: ProposalRequest, earlier: readonly AttemptFeedback[]): Promise<ChatMessage[]> {
  const language = request.problem.kernel.language;
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(language) },
    { role: 'user', content: await proposalFor(request) },
  ];
  for (const { proposal, feedback } of earlier) {
    const response = proposal.kind === 'exhausted' ? '' : (proposal.exchange?.response ?? '');
    messages.push({ role: 'assistant', content: response }, { role: 'user', content: repairPrompt(feedback, language) });
  }
  return messages;
}
