// The API key: read from the environment by the CLI (never a flag, so it never shows in a process list), handed by
// the editor per job from its secret storage. It lives in the client object and nowhere else: not in settings,
// run records, logs or error messages (redact.ts scrubs what the HTTP library or the endpoint echoes back).

export const KEY_VARIABLES = ['KERNELPILOT_API_KEY', 'OPENAI_API_KEY'] as const;

/** The key and the variable it came from, or undefined when none is set (then the built-in search runs). */
export function apiKeyFromEnv(env: Record<string, string | undefined>): { key: string; variable: string } | undefined {
  for (const variable of KEY_VARIABLES) {
    const key = env[variable]?.trim();
    if (key) return { key, variable };
  }
  return undefined;
}

/** `text` with every occurrence of the key (and any bearer token) replaced, for messages that may echo it. */
export function redact(text: string, key: string): string {
  let out = text.replace(/(Bearer\s+)[^\s"',;]+/gi, '$1[redacted]');
  if (key.length >= 4) out = out.split(key).join('[redacted]');
  return out;
}
