// The optimize results panel's page (bundled to dist/results-view.js, run inside the webview): the best verified
// speedup over rounds, a roofline plot placing the baseline and every accepted candidate against the GPU's measured
// ceilings, and every candidate in a table. Data comes from the extension (postMessage, protocol/optimize.ts's
// OptimizeRunView); a row's "Review" asks the extension to open that candidate's diff. Colours are VS Code's theme.
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import type { CandidateView, OptimizeRunView } from '../../server/src/protocol/optimize';

Chart.register(...registerables);

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let charts: Chart[] = [];

function cell(row: HTMLTableRowElement, text: string): void {
  row.insertCell().textContent = text;
}

function table(view: OptimizeRunView): void {
  const body = element<HTMLTableSectionElement>('candidates');
  body.replaceChildren();
  for (const c of view.candidates) {
    const row = body.insertRow();
    row.className = c.verdict === 'faster' ? 'faster' : c.verdict === 'rejected' ? 'rejected' : '';
    cell(row, c.id);
    cell(row, c.verdict);
    cell(row, c.failedProbe ? `${c.failedProbe}${c.reason ? `: ${c.reason}` : ''}` : '');
    cell(row, c.timeMs !== undefined ? `${(c.timeMs * 1000).toFixed(1)} µs` : '');
    cell(row, c.speedup !== undefined ? `${c.speedup.toFixed(2)}×` : '');
    cell(row, c.ci ? `${c.ci.low.toFixed(2)}–${c.ci.high.toFixed(2)}×` : '');
    cell(row, c.fractionOfRoofline !== undefined ? `${(c.fractionOfRoofline * 100).toFixed(0)} %` : '');
    cell(row, `${c.strategy} (${c.proposer === 'llm' ? 'model' : 'search'})`);
    cell(row, `${c.tokens}${c.costUsd !== undefined ? ` · $${c.costUsd.toFixed(4)}` : ''}`);
    const action = row.insertCell();
    if (c.reviewable && c.speedup !== undefined) {
      const button = document.createElement('button');
      button.textContent = 'Review';
      button.addEventListener('click', () => vscode.postMessage({ review: c.id }));
      action.append(button);
    }
  }
}

/** Work per second of a launch that took `ms`: FLOP/s when the spec counts FLOPs, else bytes/s. */
function rate(view: OptimizeRunView, ms: number): number {
  return (view.roofline.flops ?? view.roofline.bytes) / (ms / 1000);
}

function plots(view: OptimizeRunView): void {
  for (const chart of charts) chart.destroy();
  const fg = css('--vscode-foreground', '#ccc');
  const accent = css('--vscode-charts-green', '#89d185');
  const muted = css('--vscode-charts-blue', '#3794ff');
  const warn = css('--vscode-charts-orange', '#d18616');
  Chart.defaults.color = fg;
  Chart.defaults.borderColor = css('--vscode-editorWidget-border', '#454545');
  const speedups: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      labels: view.rounds.map((r) => `round ${r.round}`),
      datasets: [
        { label: 'best verified speedup', data: view.rounds.map((r) => r.best ?? 1), borderColor: accent, backgroundColor: accent },
        { label: "round's best", data: view.rounds.map((r) => r.roundBest ?? null), borderColor: muted, backgroundColor: muted, borderDash: [4, 4] },
      ],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { suggestedMin: 1, title: { display: true, text: '× baseline' } } } },
  };
  const flops = view.roofline.flops !== undefined;
  const intensity = flops ? view.roofline.flops! / view.roofline.bytes : 1;
  const ceiling = flops
    ? Math.min(view.roofline.fp32FlopsPerSecond ?? Infinity, intensity * (view.roofline.copyBytesPerSecond ?? Infinity))
    : view.roofline.copyBytesPerSecond;
  const accepted = view.candidates.filter((c: CandidateView) => c.timeMs !== undefined && !c.duplicateOf);
  const unit = flops ? 'GFLOP/s' : 'GB/s';
  const point = (ms: number) => ({ x: intensity, y: rate(view, ms) / 1e9 });
  const roofline: ChartConfiguration<'scatter'> = {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'baseline', data: [point(view.baseline.timeMs)], backgroundColor: warn, pointRadius: 6 },
        { label: 'verified candidates', data: accepted.map((c) => point(c.timeMs!)), backgroundColor: accent, pointRadius: 5 },
        ...(ceiling !== undefined && Number.isFinite(ceiling)
          ? [{ label: `measured ceiling (${flops ? 'roofline' : 'copy bandwidth'})`, data: [{ x: intensity / 4, y: ceiling / 1e9 }, { x: intensity * 4, y: ceiling / 1e9 }], showLine: true, borderColor: fg, pointRadius: 0 }]
          : []),
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'logarithmic', title: { display: true, text: flops ? 'arithmetic intensity (FLOP/byte)' : 'one launch' } },
        y: { type: 'logarithmic', title: { display: true, text: unit } },
      },
    },
  };
  charts = [new Chart(element<HTMLCanvasElement>('speedup'), speedups), new Chart(element<HTMLCanvasElement>('roofline'), roofline)];
}

function render(view: OptimizeRunView): void {
  element('title').textContent = `${view.kernel} · ${view.runId}`;
  element('summary').textContent = `${view.message} — ${view.status}: ${view.statusText}`;
  element('facts').textContent = `${view.gpu} · baseline ${(view.baseline.timeMs * 1000).toFixed(1)} µs · ${view.proposers} · ${view.spend.tokens} tokens${view.spend.costUsd !== undefined ? ` · $${view.spend.costUsd.toFixed(4)}` : ''}${view.kernelChanged ? ' · the kernel changed since this run: its candidates cannot be applied' : ''}`;
  plots(view);
  table(view);
}

window.addEventListener('message', (event: MessageEvent<{ view?: OptimizeRunView }>) => {
  if (event.data.view) render(event.data.view);
});
vscode.postMessage({ ready: true });
