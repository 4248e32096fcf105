// The language server's entry point (dist/server.js). The connection picks its transport from argv:
// --node-ipc when VS Code starts it, --stdio for Neovim, Helix and Emacs (through `kernelpilot lsp --stdio`).
import { startLanguageServer } from './lsp/server';

startLanguageServer();
