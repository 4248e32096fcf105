// The language server, as a table of contents: each feature registers its handlers on the guarded connection
// and says which capability it provides. Handlers read cached state only: no process spawn, no full parse.
import { createConnection, type Connection, ProposedFeatures, type ServerCapabilities } from 'vscode-languageserver/node';
import { exitOnTermination } from '../targets/lifecycle';
import * as codeActions from './features/code-actions';
import * as commands from './features/commands';
import * as debug from './features/debug';
import * as hover from './features/hover';
import * as lenses from './features/lenses';
import * as lifecycle from './features/lifecycle';
import * as optimize from './features/optimize';
import * as symbols from './features/symbols';
import * as sync from './features/sync';
import { guardConnection, survivePromiseAndTimerFaults } from './guard';
import { createServices, type ServerOptions } from './services';

export type { ServerOptions } from './services';

export function startLanguageServer(raw: Connection = createConnection(ProposedFeatures.all), options: ServerOptions = {}): void {
  const log = (message: string) => {
    try {
      raw.console.error(message);
    } catch {
      process.stderr.write(`${message}\n`); // the connection is gone: stderr is all that is left
    }
  };
  survivePromiseAndTimerFaults(log);
  // SIGTERM, SIGINT, stdin closed, the client's process gone (vscode-languageserver watches `processId`): every
  // path ends in process.exit, whose listeners end the compilers and harnesses this server started (local.ts).
  exitOnTermination();

  const connection = guardConnection(raw, log);
  const services = createServices(connection, options);
  const capabilities: ServerCapabilities = {
    ...sync.register(connection, services),
    ...symbols.register(connection, services),
    ...lenses.register(connection, services),
    ...hover.register(connection, services),
    ...codeActions.register(connection, services),
    ...commands.register(connection, services),
    ...optimize.register(connection, services),
    ...debug.register(connection, services),
  };
  lifecycle.register(connection, services, capabilities);
  connection.listen();
}
