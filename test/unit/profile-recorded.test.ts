// The profile report from Nsight Compute output recorded on an H200 (test/fixtures/profile/ncu): parsers over all
// nine recordings, and the planted problems of the three hint kernels found on the right lines. The recordings name
// the files under /work/main/; this checkout's paths differ, as a remote target's would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roofline } from '../../server/src/derive/roofline';
import { buildReport } from '../../server/src/profile/build-report';
import { parseDetailsPage, parseRawPage, parseSourcePage } from '../../server/src/profile/ncu-csv';
import { formatReportForPrompt, formatReportText } from '../../server/src/profile/format';
import { parseSass, sassFacts, sassLineMix } from '../../server/src/profile/sass';
import { RECORDED, recordedReport, recording, resourcesAsNcuSaw } from './profile-fixtures';

for (const { name, kernel } of RECORDED) {
  test(`${name}: raw, details and source pages parse into live facts and user-file lines`, { timeout: 10_000 }, () => {
    const [launch, extra] = parseRawPage(recording(name, 'raw.csv'));
    assert.equal(extra, undefined, 'one profiled launch');
    assert.match(launch.kernelName, new RegExp(`^${kernel}\\(`));
    const details = parseDetailsPage(recording(name, 'details.csv'));
    assert.ok(details.rules.some((r) => r.rule === 'SOLBottleneck'), 'the speed-of-light rule');
    assert.ok(details.metrics.some((m) => m.name === 'Duration'));
    const files = parseSourcePage(recording(name, 'source.csv'));
    assert.ok(files.some((f) => f.path.endsWith(`/${name === 'strided' || name === 'spill' || name === 'small_grid' ? 'kernels' : name}/${name}.cu`)));
    const report = recordedReport(name);
    assert.equal(report.live.status, 'measured');
    if (report.live.status !== 'measured') return;
    assert.ok(report.live.durationNs > 0 && report.live.memoryPct > 0 && report.live.computePct > 0);
    assert.equal(report.live.theoreticalOccupancyPct, 100);
    assert.ok(report.lines.length > 0, 'lines of the user file');
    // Every line is a line of the user's file (the harness and CUDA headers dropped), within the file.
    const userLines = recording(name, 'source-cuda.csv').split('\n').length;
    for (const l of report.lines) assert.ok(l.line >= 0 && l.line < userLines, `line ${l.line}`);
    const shares = report.lines.reduce((s, l) => s + (l.stallShare ?? 0), 0);
    assert.ok(shares > 0.5 && shares <= 1.000001, `stall shares ${shares}`);
    assert.equal(report.static.occupancy?.theoreticalPct, report.live.theoreticalOccupancyPct);
    assert.ok(report.classification);
  });

  test(`${name}: SASS facts from cuobjdump and the per-line mix from nvdisasm`, { timeout: 10_000 }, () => {
    const sass = parseSass(recording(name, 'sass.txt'));
    const nv = parseSass(recording(name, 'nvdisasm.txt'));
    assert.equal(sass.size, 1);
    const [[mangled, instructions]] = [...sass];
    assert.match(mangled, new RegExp(`^_Z\\d+${kernel}`));
    const facts = sassFacts(instructions);
    assert.ok(facts.instructions > 5 && (facts.globalLoadsByWidth['32'] ?? 0) + (facts.globalLoadsByWidth['128'] ?? 0) > 0, JSON.stringify(facts));
    const mix = sassLineMix(nv.get(mangled) ?? [], RECORDED.find((r) => r.name === name)?.file ?? '');
    assert.ok(mix.length > 0 && mix.every((l) => Object.keys(l.sassMix ?? {}).length > 0));
    assert.equal(mix.reduce((s, l) => s + Object.values(l.sassMix ?? {}).reduce((a, b) => a + b, 0), 0) <= (nv.get(mangled)?.length ?? 0), true);
  });
}

test('strided: the uncoalesced load is flagged on strided.cu line 8, not on the store', { timeout: 10_000 }, () => {
  const report = recordedReport('strided');
  const hint = report.hints.find((h) => h.kind === 'uncoalesced-access');
  assert.ok(hint, JSON.stringify(report.hints.map((h) => h.title)));
  assert.equal(hint.line, 7);
  assert.match(hint.title, /uncoalesced global load/i);
  assert.match(hint.text, /line 8/);
  assert.ok((hint.estimatedSpeedupPct ?? 0) > 50);
  assert.equal(report.hints.filter((h) => h.kind === 'uncoalesced-access').length, 1);
  assert.ok(report.hints.indexOf(hint) < 3, 'among the top three');
  assert.equal(report.classification?.bound, 'memory');
  assert.match(formatReportText(report), /strided\.cu:8 Uncoalesced global memory load on line 8/);
});

test('spill: the spill hint, from the measured local spilling requests and ptxas bytes', { timeout: 10_000 }, () => {
  const measured = recordedReport('spill');
  const hint = measured.hints.find((h) => h.kind === 'register-spill');
  assert.ok(hint);
  assert.match(hint.text, /41,025,536 local-memory spilling requests/);
  assert.equal(hint.basis, 'live');
  // The line with the most local loads and stores (the 4 × 48 FMA loop).
  assert.equal(hint.line, 14);
  // ncu's local-memory access-pattern rules are folded into it, not repeated.
  assert.ok(!measured.hints.some((h) => h.rule === 'MemoryCacheAccessPattern' && /local (loads|stores)/.test(h.text)));
  const withBytes = recordedReport('spill', { registersPerThread: 32, staticSharedBytes: 0, stackFrameBytes: 200, spillStoreBytes: 196, spillLoadBytes: 196, barriers: 0 });
  assert.match(withBytes.hints.find((h) => h.kind === 'register-spill')?.text ?? '', /196 bytes stored/);
});

test('small_grid: the small-grid hint with ncu\'s estimate; no such hint for a full grid', { timeout: 10_000 }, () => {
  const report = recordedReport('small_grid');
  const hint = report.hints.find((h) => h.kind === 'small-grid');
  assert.ok(hint);
  assert.match(hint.text, /8 blocks for 132 SMs/);
  assert.equal(hint.estimatedSpeedupPct, 93.94);
  assert.ok(report.hints.indexOf(hint) < 3);
  assert.ok(!report.hints.some((h) => h.rule === 'LaunchConfiguration'), 'ncu\'s rule is folded in');
  for (const name of ['strided', 'vector_add', 'matmul']) assert.ok(!recordedReport(name).hints.some((h) => h.kind === 'small-grid'), name);
});

test('stall-heavy lines name the reason and a fix; hints are ranked by estimated gain', { timeout: 10_000 }, () => {
  const report = recordedReport('strided');
  const stall = report.hints.find((h) => h.kind === 'stall');
  assert.ok(stall);
  assert.equal(stall.line, 8);
  assert.equal(stall.stallReason, 'long_sb');
  assert.match(stall.text, /waiting for a global or local memory result.*Likely fix/);
  for (const name of ['matmul', 'softmax', 'spill']) {
    const hints = recordedReport(name).hints;
    const global = hints.filter((h) => h.estimatedSpeedupPct !== undefined && !(h.origin === 'ncu' && /local/.test(h.rule ?? '')));
    for (let i = 1; i < Math.min(3, global.length); i++) assert.ok((hints[i - 1].estimatedSpeedupPct ?? 0) >= (hints[i].estimatedSpeedupPct ?? 0) || hints[i - 1].origin !== hints[i].origin, name);
  }
});

test('the prompt block is short and quotes the flagged line', { timeout: 10_000 }, () => {
  const report = recordedReport('strided');
  const text = formatReportForPrompt(report, recording('strided', 'source-cuda.csv').split('\n').slice(2).map((l) => l.replace(/^"\d+","(.*)"$/, '$1')).join('\n'));
  assert.ok(text.length < 1500, `${text.length} characters`);
  assert.match(text, /memory-bound/);
  assert.match(text, /Uncoalesced global memory load on line 8: .* \[at `float v = x\[\(int\)\(\(\(long long\)i \* 33\) % n\)\];`\]/);
});

test('without live figures, a bench record of the same text classifies by the roofline and gives the headroom', { timeout: 10_000 }, () => {
  const r = RECORDED.find((x) => x.name === 'vector_add');
  assert.ok(r);
  // 2^26 floats: 3 × 4 × n bytes in 0.25 ms against a 4 TB/s copy ceiling → 80 % of it, memory-bound.
  const n = 1 << 26;
  const bench = { runId: '2026-11-29T00-00-00Z-vector_add-1a2b3c4d', roofline: roofline(0.25, 12 * n, n, { copyBytesPerSecond: 4e12, fp32FlopsPerSecond: 6e13 }) };
  const report = buildReport({
    identity: { name: r.kernel, qualifiedName: r.kernel, file: r.file, kernelHash: '0', fileHash: '0', line: 0, target: 'local', arch: 'sm_90' },
    static: { arch: 'sm_90' },
    live: { status: 'absent', reason: 'ncu-missing', message: 'no ncu' },
    bench,
  });
  assert.equal(report.classification?.basis, 'roofline');
  assert.equal(report.classification?.bound, 'memory');
  assert.ok(Math.abs((report.headroom?.fractionOfPeak ?? 0) - 0.805) < 0.01, JSON.stringify(report.headroom));
  assert.ok(Math.abs((report.headroom?.rooflineTimeMs ?? 0) - 0.2013) < 0.001);
  assert.match(formatReportText(report), /roofline: 81 % of the copy-bandwidth ceiling in the benchmark \(0\.25 ms; at the roofline 0\.20 ms\)/);
  assert.match(formatReportText(report), /live figures: none — no ncu/);
});

test('a static report gets the small-grid hint when a bench record told the SM count', { timeout: 10_000 }, () => {
  const r = RECORDED.find((x) => x.name === 'small_grid');
  assert.ok(r);
  const launch = { grid: [8, 1, 1] as [number, number, number], block: [128, 1, 1] as [number, number, number], dynamicSharedBytes: 0 };
  const make = (smCount?: number) =>
    buildReport({
      identity: { name: r.kernel, qualifiedName: r.kernel, file: r.file, kernelHash: '0', fileHash: '0', line: 3, target: 'local', arch: 'sm_90' },
      static: { arch: 'sm_90', launch, resources: resourcesAsNcuSaw('small_grid') },
      live: { status: 'absent', reason: 'not-requested', message: 'not requested (--static)' },
      ...(smCount ? { smCount } : {}),
    });
  const hint = make(132).hints.find((h) => h.kind === 'small-grid');
  assert.equal(hint?.basis, 'static');
  assert.ok(Math.abs((hint?.estimatedSpeedupPct ?? 0) - (1 - 8 / 132) * 100) < 1e-9);
  assert.equal(make().hints.find((h) => h.kind === 'small-grid'), undefined, 'no SM count, no guess');
});
