// The settings the client hands the server: the section both sides read (`kernelpilot.*` in package.json's
// `contributes.configuration`) and what travels in `initialize` before the server can pull configuration.

/** The configuration section: `workspace/configuration` requests, `didChangeConfiguration` payloads. */
export const CONFIGURATION_SECTION = 'kernelpilot';

/** `initializationOptions` of `initialize`: the section's values as the client read them at start. */
export interface InitializationOptions {
  settings?: unknown;
}
