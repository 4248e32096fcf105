import type { Kernel, KernelParam } from './model';

/** What a parameter is for, as far as the signature tells. Bench-spec inference refines this with the body. */
export function paramRole(param: KernelParam): string {
  if (param.constexpr) return 'compile-time constant';
  if (param.pointer) return param.const ? 'input buffer' : 'output buffer (or in/out)';
  if (/\b(int|long|size_t|unsigned|int32_t|int64_t|uint32_t|uint64_t|short)\b/.test(param.baseType)) return 'size / integer scalar';
  if (/\b(float|double|half|__half|__nv_bfloat16|bfloat16)\b/.test(param.baseType)) return 'scalar';
  return 'value';
}

function fence(language: string, code: string): string {
  return '```' + language + '\n' + code + '\n```';
}

/** Markdown for a kernel hover; `extra` sections (resources, benchmark results) come from later stages. */
export function describeKernel(kernel: Kernel, extra: string[] = [], lead: string[] = []): string {
  const language = kernel.language === 'cuda' ? 'cuda' : 'python';
  const parts = [fence(language, kernel.signature)];
  const kind = kernel.language === 'cuda' ? 'CUDA kernel' : kernel.language === 'triton' ? 'Triton kernel' : 'KernelBench task model';
  parts.push(`**${kind}** \`${kernel.qualifiedName}\`` + (kernel.attributes.length ? ` · ${kernel.attributes.map((a) => `\`${a}\``).join(' ')}` : ''));
  parts.push(...lead);
  if (kernel.templateParams.length) parts.push(`Template parameters: ${kernel.templateParams.map((t) => `\`${t.kind} ${t.name}${t.default ? ' = ' + t.default : ''}\``).join(', ')}`);
  if (kernel.params.length) {
    const rows = kernel.params.map((p) => `| \`${p.name}\` | \`${p.type}\` | ${paramRole(p)}${p.restrict ? ' · restrict' : ''} |`);
    parts.push(['| parameter | type | role |', '|---|---|---|', ...rows].join('\n'));
  }
  if (kernel.launchSites.length) {
    const sites = kernel.launchSites.map((s) => `- line ${s.range.start.line + 1}: \`${s.callee}<<<${[s.grid, s.block, s.sharedMem, s.stream].filter((x) => x !== undefined && x !== '').join(', ')}>>>\``);
    parts.push(`Launch sites:\n${sites.join('\n')}`);
  } else if (kernel.language === 'cuda') {
    parts.push('No launch site in this file.');
  }
  if (kernel.autotuneConfigs?.length) parts.push(`Autotune: ${kernel.autotuneConfigs.length} configs`);
  return [...parts, ...extra].join('\n\n');
}
