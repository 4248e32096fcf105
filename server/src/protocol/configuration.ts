// The settings the client hands the server: the section both sides read (`kernelpilot.*` in package.json's
// `contributes.configuration`) and what travels in `initialize` before the server can pull configuration.

/** The configuration section: `workspace/configuration` requests, `didChangeConfiguration` payloads. */
export const CONFIGURATION_SECTION = 'kernelpilot';

/**
 * `initializationOptions` of `initialize`. `settings` are the user's own (user-level, or the editor config that starts
 * the server); `workspaceTrusted: false` starts the server in Restricted Mode (protocol/trust.ts). Both optional.
 */
export interface InitializationOptions {
  settings?: unknown;
  workspaceTrusted?: boolean;
}

/**
 * Settings a workspace cannot set: they choose a program, the sandbox, or where the API key goes and what it may
 * spend. package.json declares each `"scope": "machine"` (test/unit/protocol.test.ts keeps the two equal); the server
 * takes the sandbox and optimize ones from the user's own settings only, and nvccPath by check/compile-flags.ts's rules.
 */
export const MACHINE_SETTINGS = [
  'cuda.nvccPath',
  'sandbox.enabled',
  'sandbox.bwrapPath',
  'optimize.baseUrl',
  'optimize.model',
  'optimize.budgetUsd',
  'optimize.priceInputPerMillion',
  'optimize.priceOutputPerMillion',
] as const;
