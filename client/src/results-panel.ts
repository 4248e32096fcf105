// The optimize results panel: a webview (strict CSP: only the bundled script and its nonce, no remote content) showing
// one kernel's latest run (client/webview/results.ts draws it). It is refreshed when the server says the run changed;
// a candidate row's Review opens that candidate's diff.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { OptimizeRunView } from '../../server/src/protocol/optimize';

const VIEW_TYPE = 'kernelpilot.optimizeResults';

export class ResultsPanel {
  private panel: vscode.WebviewPanel | undefined;
  private shown: { uri: string; kernel: string } | undefined;
  private ready = false;
  private latest: OptimizeRunView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly review: (uri: string, kernel: string, attempt: string) => Promise<void>,
  ) {}

  /** Whether the panel shows this kernel's run (so a change of it should refresh the panel). */
  shows(uri: string, kernel: string): boolean {
    return this.panel !== undefined && this.shown?.uri === uri && this.shown.kernel === kernel;
  }

  show(view: OptimizeRunView): void {
    this.shown = { uri: view.uri, kernel: view.kernel };
    if (!this.panel) {
      this.ready = false;
      const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
      this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Optimize: ${view.kernel}`, vscode.ViewColumn.Beside, { enableScripts: true, localResourceRoots: [dist] });
      this.panel.webview.html = this.html(this.panel.webview, vscode.Uri.joinPath(dist, 'results-view.js'));
      this.panel.webview.onDidReceiveMessage((message: { ready?: boolean; review?: string }) => {
        if (message.ready) {
          this.ready = true;
          this.post();
        } else if (typeof message.review === 'string' && this.shown) void this.review(this.shown.uri, this.shown.kernel, message.review);
      });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.shown = undefined;
      });
    }
    this.panel.title = `Optimize: ${view.kernel}`;
    this.latest = view;
    this.post();
    this.panel.reveal(undefined, true);
  }

  update(view: OptimizeRunView): void {
    if (!this.shows(view.uri, view.kernel)) return;
    this.latest = view;
    this.post();
  }

  private post(): void {
    if (this.ready && this.latest) void this.panel?.webview.postMessage({ view: this.latest });
  }

  private html(webview: vscode.Webview, script: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}' ${webview.cspSource};">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">
  body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  h2 { margin: 0.4em 0; }
  .muted { color: var(--vscode-descriptionForeground); }
  .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; height: 260px; margin: 12px 0; }
  .chart { position: relative; min-width: 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--vscode-editorWidget-border); vertical-align: top; }
  tr.faster td { color: var(--vscode-charts-green); }
  tr.rejected td { color: var(--vscode-descriptionForeground); }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 2px 8px; cursor: pointer; }
</style>
</head>
<body>
<h2 id="title">KernelPilot optimize run</h2>
<div id="summary"></div>
<div id="facts" class="muted"></div>
<div class="charts"><div class="chart"><canvas id="speedup"></canvas></div><div class="chart"><canvas id="roofline"></canvas></div></div>
<table>
  <thead><tr><th>attempt</th><th>verdict</th><th>failed probe</th><th>time</th><th>speedup</th><th>CI</th><th>of roofline</th><th>strategy</th><th>tokens · cost</th><th></th></tr></thead>
  <tbody id="candidates"></tbody>
</table>
<script nonce="${nonce}" src="${webview.asWebviewUri(script).toString()}"></script>
</body>
</html>`;
  }
}
