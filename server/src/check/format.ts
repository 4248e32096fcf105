// Text for the editor: the CodeLens line above a kernel and the hover table. One arch per group;
// a template's instances are summarised as ranges so the lens stays one short line.

import type { Kernel } from '../kernels/model';
import type { ResourceRecord } from './types';

/** `0 B`, `512 B`, `1 KB`, `1.5 KB`, `48 KB`, `2 MB` (binary units, as CUDA's limits are stated). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trim(bytes / 1024)} KB`;
  return `${trim(bytes / (1024 * 1024))} MB`;
}

function trim(n: number): string {
  return String(+n.toFixed(1));
}

const spills = (r: ResourceRecord) => r.spillStoreBytes + r.spillLoadBytes;

function range(values: number[], show: (n: number) => string): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? show(lo) : `${show(lo)}–${show(hi)}`;
}

/** Bytes with the unit once: `8–16 KB`, `512 B–1 KB` when the units differ. */
function byteRange(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return formatBytes(lo);
  const [a, unitA] = formatBytes(lo).split(' ');
  const [b, unitB] = formatBytes(hi).split(' ');
  return unitA === unitB ? `${a}–${b} ${unitA}` : `${formatBytes(lo)}–${formatBytes(hi)}`;
}

/** What the lens needs to know about the kernel: a template with no records simply has no instance yet. */
export type LensKernel = Pick<Kernel, 'templateParams'>;

/**
 * `sm_90 · 31 regs · 0 spills · 1 KB smem`; several instances: `sm_90 · 2 instances · 10–12 regs · 0 spills · 512 B smem`.
 * Local memory (a stack frame) is shown only when used, since it costs global-memory traffic like spills do.
 * `arch` is the one checked; records of other archs (extra -gencode flags) get their own group.
 */
export function formatLens(arch: string, records: readonly ResourceRecord[], kernel?: LensKernel): string {
  if (records.length === 0) {
    return kernel && kernel.templateParams.length > 0 ? `${arch} · template: no instance compiled` : `${arch} · no resource report`;
  }
  const groups = new Map<string, ResourceRecord[]>();
  for (const r of records) groups.set(r.arch, [...(groups.get(r.arch) ?? []), r]);
  return [...groups.entries()].map(([a, rs]) => formatGroup(a, rs)).join(' | ');
}

function formatGroup(arch: string, rs: ResourceRecord[]): string {
  const parts = [arch];
  if (rs.length > 1) parts.push(`${rs.length} instances`);
  parts.push(`${range(rs.map((r) => r.registers), String)} regs`);
  const spilled = rs.map(spills);
  parts.push(Math.max(...spilled) === 0 ? '0 spills' : `${byteRange(spilled)} spills`);
  parts.push(`${byteRange(rs.map((r) => r.sharedMemBytes))} smem`);
  const stack = rs.map((r) => r.stackFrameBytes);
  if (Math.max(...stack) > 0) parts.push(`${byteRange(stack)} stack`);
  return parts.join(' · ');
}

/** `ns::k<float, 128>`; extern "C" and non-template kernels are just their name. */
export function instanceLabel(r: ResourceRecord): string {
  return r.templateArgs.length > 0 ? `${r.qualifiedName}<${r.templateArgs.join(', ')}>` : r.qualifiedName;
}

/**
 * Markdown for a hover: one row per instance and arch. Names go in code spans (hover markdown would
 * otherwise drop `<float, 128>` as an HTML tag).
 */
export function formatResourcesMarkdown(arch: string, records: readonly ResourceRecord[], kernel?: LensKernel): string {
  if (records.length === 0) return `**${arch}**: ${formatLens(arch, records, kernel).replace(`${arch} · `, '')}`;
  const cell = (s: string) => '`' + s.replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
  const rows = records.map((r) =>
    [
      cell(instanceLabel(r)),
      r.arch,
      String(r.registers),
      formatBytes(r.sharedMemBytes),
      formatBytes(r.stackFrameBytes),
      spills(r) === 0 ? '0' : `${formatBytes(r.spillStoreBytes)} / ${formatBytes(r.spillLoadBytes)}`,
      String(r.barriers),
    ].join(' | '),
  );
  return [
    '| Instance | Arch | Registers | Shared mem | Stack | Spills (store / load) | Barriers |',
    '|---|---|--:|--:|--:|--:|--:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}
