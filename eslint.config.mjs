import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Architecture invariants (ARCHITECTURE.md), enforced rather than hoped for.
const lspOnly = { group: ['vscode-languageserver', 'vscode-languageserver/*', 'vscode-languageserver-textdocument'], message: 'Only server/src/lsp/ imports vscode-languageserver.' };
const spawnOnly = ['child_process', 'node:child_process', 'execa'].map((name) => ({ name, message: 'Only server/src/targets/ spawns processes.' }));
const rawConnection = ['vscode-languageserver', 'vscode-languageserver/node'].map((name) => ({ name, importNames: ['createConnection'], message: 'Only lsp/server.ts creates the connection: features get the guarded one, so no handler is registered unguarded.' }));
const netOnly = ['http', 'https', 'node:http', 'node:https', 'net', 'node:net', 'openai'].map((name) => ({ name, message: 'Only server/src/llm/ touches the network.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'test/fixtures/**', 'examples/**', '.kernelpilot/**', '.kp-node/**', 'test-results/**', '.stryker-tmp/**', 'test/mutation/out/**', 'test/unit/*.test.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly' } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  {
    files: ['server/src/**/*.ts'],
    ignores: ['server/src/lsp/**', 'server/src/targets/**', 'server/src/llm/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [...spawnOnly, ...netOnly], patterns: [lspOnly] }] },
  },
  {
    files: ['server/src/lsp/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...spawnOnly, ...netOnly] }] },
  },
  {
    // Handlers register on the guarded connection (lsp/guard.ts), which only server.ts makes from the raw one.
    files: ['server/src/lsp/**/*.ts'],
    ignores: ['server/src/lsp/server.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...spawnOnly, ...netOnly, ...rawConnection] }] },
  },
  {
    files: ['server/src/targets/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: netOnly, patterns: [lspOnly] }] },
  },
  {
    files: ['server/src/llm/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: spawnOnly, patterns: [lspOnly] }] },
  },
);
