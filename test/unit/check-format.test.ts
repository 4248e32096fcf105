// Lens and hover text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatLens, formatResourcesMarkdown } from '../../server/src/check/format';
import type { ResourceRecord } from '../../server/src/check/types';

function rec(extra: Partial<ResourceRecord>): ResourceRecord {
  return {
    mangledName: '_Z1kv', arch: 'sm_90', registers: 31, barriers: 1, sharedMemBytes: 1024, stackFrameBytes: 0, spillStoreBytes: 0, spillLoadBytes: 0,
    qualifiedName: 'k', name: 'k', templateArgs: [], demangled: 'k()', demangledExactly: true, ...extra,
  };
}
const template = { templateParams: [{ kind: 'typename', name: 'T' }] };

test('bytes: B below 1 KiB, then KB/MB with at most one decimal', () => {
  assert.deepEqual([0, 512, 1024, 1536, 16896, 49152, 2 * 1024 * 1024].map(formatBytes), ['0 B', '512 B', '1 KB', '1.5 KB', '16.5 KB', '48 KB', '2 MB']);
});

test('one instance', () => {
  assert.equal(formatLens('sm_90', [rec({})]), 'sm_90 · 31 regs · 0 spills · 1 KB smem');
  assert.equal(formatLens('sm_90', [rec({ sharedMemBytes: 0, spillStoreBytes: 1928, spillLoadBytes: 2000, stackFrameBytes: 1424, registers: 24 })]), 'sm_90 · 24 regs · 3.8 KB spills · 0 B smem · 1.4 KB stack');
  assert.equal(formatLens('sm_90', [rec({ stackFrameBytes: 256 })]), 'sm_90 · 31 regs · 0 spills · 1 KB smem · 256 B stack');
});

test('several instances: a count and ranges', () => {
  const rs = [rec({ registers: 14, sharedMemBytes: 8448, templateArgs: ['64'] }), rec({ registers: 32, sharedMemBytes: 16896, templateArgs: ['128'] })];
  assert.equal(formatLens('sm_90', rs, template), 'sm_90 · 2 instances · 14–32 regs · 0 spills · 8.3–16.5 KB smem');
  assert.equal(formatLens('sm_90', [rec({ sharedMemBytes: 512 }), rec({ sharedMemBytes: 512 })]), 'sm_90 · 2 instances · 31 regs · 0 spills · 512 B smem');
  assert.equal(formatLens('sm_90', [rec({ sharedMemBytes: 512 }), rec({ sharedMemBytes: 2048 })]), 'sm_90 · 2 instances · 31 regs · 0 spills · 512 B–2 KB smem');
});

test('several archs get a group each', () => {
  assert.equal(formatLens('sm_80', [rec({ arch: 'sm_80', registers: 10 }), rec({ registers: 12 })]), 'sm_80 · 10 regs · 0 spills · 1 KB smem | sm_90 · 12 regs · 0 spills · 1 KB smem');
});

test('nothing compiled', () => {
  assert.equal(formatLens('sm_90', [], template), 'sm_90 · template: no instance compiled');
  assert.equal(formatLens('sm_90', [], { templateParams: [] }), 'sm_90 · no resource report');
  assert.equal(formatResourcesMarkdown('sm_90', [], template), '**sm_90**: template: no instance compiled');
});

test('hover table: names in code spans, pipes escaped', () => {
  const rs = [
    rec({ qualifiedName: 'ns::k', templateArgs: ['float', '128'], registers: 10, sharedMemBytes: 512, barriers: 1 }),
    rec({ qualifiedName: 'ns::k', templateArgs: ['Op<a|b>'], registers: 24, sharedMemBytes: 0, stackFrameBytes: 1424, spillStoreBytes: 1928, spillLoadBytes: 2000, barriers: 0 }),
  ];
  assert.equal(
    formatResourcesMarkdown('sm_90', rs, template),
    [
      '| Instance | Arch | Registers | Shared mem | Stack | Spills (store / load) | Barriers |',
      '|---|---|--:|--:|--:|--:|--:|',
      '| `ns::k<float, 128>` | sm_90 | 10 | 512 B | 0 B | 0 | 1 |',
      '| `ns::k<Op<a\\|b>>` | sm_90 | 24 | 0 B | 1.4 KB | 1.9 KB / 2 KB | 0 |',
    ].join('\n'),
  );
});
