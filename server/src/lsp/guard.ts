// The registration path of every LSP handler. Features register on a guarded connection: whatever a handler
// throws or rejects with is logged with its method and document and answered as a ResponseError, never an exit
// (VS Code gives up on a server after five crashes). Only server.ts holds the raw connection (lint-enforced).
import { type Connection, ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver';

/** Params that do not have the shape the protocol says: answered with InvalidParams, logged in one line. */
export class MalformedParams extends Error {
  constructor(method: string, problem: string) {
    super(`${method}: ${problem}`);
    this.name = 'MalformedParams';
  }
}

/**
 * An error whose message is meant for the user ("KernelPilot: …": a command refused, with what to do instead).
 * It is the answer, not a fault of the server, so it is not logged.
 */
function isRefusal(error: unknown): error is Error {
  return error instanceof Error && error.message.startsWith('KernelPilot:');
}

export type Log = (message: string) => void;

/** What a handler was about, for the log: its document, or its command. */
function contextOf(args: readonly unknown[]): string {
  const params = args[0] as { textDocument?: { uri?: unknown }; command?: unknown } | undefined;
  const uri = params?.textDocument?.uri;
  if (typeof uri === 'string') return ` (${uri.slice(0, 200)})`;
  if (typeof params?.command === 'string') return ` (${params.command.slice(0, 200)})`;
  return '';
}

function failure(method: string, args: readonly unknown[], error: unknown, log: Log): ResponseError<void> {
  if (error instanceof ResponseError) return error;
  if (isRefusal(error)) return new ResponseError(LSPErrorCodes.RequestFailed, error.message);
  if (error instanceof MalformedParams) {
    log(`KernelPilot ignored a malformed message: ${error.message}`);
    return new ResponseError(ErrorCodes.InvalidParams, error.message);
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log(`KernelPilot: ${method} failed${contextOf(args)}: ${detail}`);
  return new ResponseError(ErrorCodes.InternalError, `KernelPilot: ${method} failed: ${error instanceof Error ? error.message : String(error)} (details in the KernelPilot output)`);
}

/** The handler, answering a thrown or rejected error as a ResponseError (ignored by notification senders). */
function guarded(method: string, handler: (...args: unknown[]) => unknown, log: Log): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    try {
      const result = handler(...args);
      if (result instanceof Promise) return result.catch((error: unknown) => failure(method, args, error, log));
      return result;
    } catch (error) {
      return failure(method, args, error, log);
    }
  };
}

/** `onRequest('x', h)` → 'x'; `onHover(h)` → 'onHover'. */
function methodOf(key: string, args: readonly unknown[]): string {
  const first = args[0];
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && typeof (first as { method?: unknown }).method === 'string') return (first as { method: string }).method;
  return key;
}

/**
 * The connection with every `on…` registration guarded, in the connection itself and in its namespaces
 * (`connection.workspace.on…`, `connection.languages.…`). Anything else passes through unchanged.
 */
function guardObject<T extends object>(target: T, log: Log, cache: WeakMap<object, object>): T {
  const known = cache.get(target);
  if (known) return known as T;
  const proxy = new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key);
      if (typeof key !== 'string') return value;
      if (typeof value === 'function') {
        const fn = value as (...args: unknown[]) => unknown;
        if (!/^on[A-Z]/.test(key)) return fn.bind(object);
        return (...args: unknown[]) => {
          const method = methodOf(key, args);
          return fn.apply(object, args.map((arg) => (typeof arg === 'function' ? guarded(method, arg as (...a: unknown[]) => unknown, log) : arg)));
        };
      }
      return value !== null && typeof value === 'object' ? guardObject(value, log, cache) : value;
    },
  });
  cache.set(target, proxy);
  return proxy;
}

export function guardConnection(connection: Connection, log: Log): Connection {
  return guardObject(connection, log, new WeakMap());
}

/**
 * A rejection nobody awaited (a background check, a lens refresh) or an exception thrown from a timer is a bug to
 * log, not a reason to end every open editor's analysis. Node's default for both is to exit.
 */
export function survivePromiseAndTimerFaults(log: Log): void {
  process.on('unhandledRejection', (reason) => log(`KernelPilot: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  process.on('uncaughtException', (error) => log(`KernelPilot: uncaught exception: ${error.stack ?? error.message}`));
}
