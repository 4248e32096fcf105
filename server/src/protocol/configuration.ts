// The settings the client hands the server: the section both sides read (`kernelpilot.*` in package.json's
// `contributes.configuration`) and what travels in `initialize` before the server can pull configuration.

/** The configuration section: `workspace/configuration` requests, `didChangeConfiguration` payloads. */
export const CONFIGURATION_SECTION = 'kernelpilot';

/** The machine-scoped settings of where code runs (`kernelpilot.targets`, `kernelpilot.activeTarget`), without the section. */
export const TARGETS_SETTING = 'targets';
export const ACTIVE_TARGET_SETTING = 'activeTarget';

/**
 * `initializationOptions` of `initialize`. `settings` are the user's own (user-level, or the editor config that starts
 * the server); `workspaceTrusted: false` starts the server in Restricted Mode (protocol/trust.ts). Both optional.
 */
export interface InitializationOptions {
  settings?: unknown;
  workspaceTrusted?: boolean;
}

