// Text synchronisation: open, change, save and close, for kernel sources and for bench spec files.
import { type Connection, type ServerCapabilities, TextDocumentSyncKind } from 'vscode-languageserver';
import { changeParams, documentUri, openParams } from '../params';
import type { Services } from '../services';
import { isSpecUri } from '../specs';

export function register(connection: Connection, services: Services): ServerCapabilities {
  const { documents, specs, checks, bench, optimize, profile, problems, session } = services;

  connection.onDidOpenTextDocument(async (params) => {
    const { uri, languageId, version, text } = openParams(params, 'textDocument/didOpen');
    if (isSpecUri(uri)) return specs.didOpen(uri, languageId, version, text);
    documents.open(uri, languageId, version, text);
    if (session.settings.check.onOpen) checks.schedule(uri);
    await problems.update(uri);
    await bench.restore(uri);
    await optimize.restore(uri);
    await profile.restore(uri);
  });

  connection.onDidChangeTextDocument(async (params) => {
    const { uri, version, changes } = changeParams(params, 'textDocument/didChange');
    if (specs.isOpen(uri)) return specs.didChange(uri, version, changes);
    documents.change(uri, version, changes);
    await problems.update(uri);
    await profile.documentChanged(uri);
  });

  connection.onDidSaveTextDocument((params) => {
    const uri = documentUri(params, 'textDocument/didSave');
    if (session.settings.check.onSave && !specs.isOpen(uri)) checks.schedule(uri);
  });

  connection.onDidCloseTextDocument((params) => {
    const uri = documentUri(params, 'textDocument/didClose');
    if (specs.isOpen(uri)) return specs.didClose(uri);
    checks.forget(uri);
    problems.forget(uri);
    documents.close(uri);
  });

  return { textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } } };
}
