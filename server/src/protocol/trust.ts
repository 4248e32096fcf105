// What the VS Code client tells the server about trust: whether the workspace is trusted (Restricted Mode: nothing
// is compiled or run), and which settings are the user's own (user-level, as opposed to the workspace's). Plain
// names and types, imported by both sides; other LSP editors send neither and get the server's own rules.

/** Client → server, when the user grants trust (and, for symmetry, whenever the state is sent). */
export const WORKSPACE_TRUST_NOTIFICATION = 'kernelpilot/workspaceTrust';

export interface WorkspaceTrustParams {
  trusted: boolean;
}

/** Client → server, when the user changes their user-level `kernelpilot.*` settings. */
export const USER_SETTINGS_NOTIFICATION = 'kernelpilot/userSettings';

export interface UserSettingsParams {
  /** Shaped like the `kernelpilot` section: `{ cuda: {...}, check: {...} }`, user-level values only. */
  settings: unknown;
}
