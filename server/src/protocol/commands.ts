// What the client and the server say to each other beyond standard LSP, defined once for both sides (the client
// bundle and the server bundle each include this file; it imports nothing, so either may). package.json's
// `contributes.commands` and menus name the client commands too: test/unit/protocol.test.ts keeps them equal.

/** The editor's commands (palette, context menu), registered by the client; each forwards to a server command. */
export const ClientCommand = {
  recheck: 'kernelpilot.recheck',
  benchmark: 'kernelpilot.benchmark',
  createSpec: 'kernelpilot.createSpec',
  showOutput: 'kernelpilot.showOutput',
  optimize: 'kernelpilot.optimize',
  /** Profile the kernel at the cursor (static analysis; Nsight Compute where the target has it). */
  profile: 'kernelpilot.profile',
  /** The full profile report of the kernel at the cursor. */
  openProfileReport: 'kernelpilot.openProfileReport',
  setApiKey: 'kernelpilot.setApiKey',
  /** Review the best verified candidate of the kernel at the cursor (a diff of the file against it). */
  review: 'kernelpilot.reviewOptimized',
  /** Every verified candidate of the kernel, best first, each reviewed the same way. */
  browseCandidates: 'kernelpilot.browseCandidates',
  /** The results panel of the kernel's latest optimize run. */
  showResults: 'kernelpilot.showOptimizeResults',
  /** In a review's diff editor: apply the candidate shown, or dismiss it. */
  accept: 'kernelpilot.acceptCandidate',
  reject: 'kernelpilot.rejectCandidate',
  /** Choose where the check and jobs run (the user-level `kernelpilot.activeTarget`); the status bar item runs it. */
  selectTarget: 'kernelpilot.selectTarget',
} as const;

/**
 * The server's `workspace/executeCommand` commands: lenses and code actions run them directly (so every LSP
 * editor can), the client's commands forward to them. Every one takes {@link KernelCommandArgs} and answers
 * with a line to show; a refusal is an error answer whose message says what to do.
 */
export const ServerCommand = {
  recheck: 'kernelpilot.server.recheck',
  benchmark: 'kernelpilot.server.benchmark',
  cancelBenchmark: 'kernelpilot.server.cancelBenchmark',
  createSpec: 'kernelpilot.server.createSpec',
  optimize: 'kernelpilot.server.optimize',
  cancelOptimize: 'kernelpilot.server.cancelOptimize',
  profile: 'kernelpilot.server.profile',
  cancelProfile: 'kernelpilot.server.cancelProfile',
  /** Opens the kernel's stored profile report (window/showDocument), or answers with its path. */
  openProfileReport: 'kernelpilot.server.openProfileReport',
  /**
   * The lens's "Review": VS Code's client opens its diff review instead; elsewhere the server shows the candidate's
   * diff from the run record (window/showDocument). Takes {@link ReviewCommandArgs}.
   */
  reviewOptimize: 'kernelpilot.server.reviewOptimize',
} as const;

export type ServerCommandId = (typeof ServerCommand)[keyof typeof ServerCommand];

/** A place in a document, 0-based, as LSP counts (UTF-16 code units). */
export interface CursorPosition {
  line: number;
  character: number;
}

/**
 * A server command's arguments: the document's URI, then which kernel: its qualified name (lenses, code
 * actions), a position inside it (the context menu, the palette with a cursor), or nothing (the file's only kernel).
 */
export type KernelCommandArgs = [uri: string, kernel?: string | CursorPosition];

/** Review: the kernel, and which attempt of its latest optimize run (default: the best verified one). */
export type ReviewCommandArgs = [uri: string, kernel: string, attempt?: string];
