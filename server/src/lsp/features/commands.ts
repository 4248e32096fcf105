// Server commands (lenses, code actions and the client's palette run them): re-check, benchmark, cancel, create spec.
import type { Connection, ServerCapabilities } from 'vscode-languageserver';
import { benchCommands } from '../bench';
import { kernelRefOf, resolveKernelRef } from '../kernel-ref';
import { MalformedParams } from '../guard';
import type { Services } from '../services';
import { specCommands } from '../specs';
import { ServerCommand } from '../../protocol/commands';

export const serverCommands = { recheck: ServerCommand.recheck, ...benchCommands, createSpec: specCommands.create } as const;

export function register(connection: Connection, { documents, checks, bench, createSpec }: Services): ServerCapabilities {
  connection.onExecuteCommand(async (params) => {
    const { command, arguments: args } = params ?? {};
    if (typeof command !== 'string') throw new MalformedParams('workspace/executeCommand', 'params.command must be a string');
    if (args !== undefined && !Array.isArray(args)) throw new MalformedParams('workspace/executeCommand', 'params.arguments must be an array');
    switch (command) {
      case serverCommands.recheck: {
        const uri = typeof args?.[0] === 'string' ? args[0] : undefined;
        if (!uri) throw new Error('KernelPilot: Re-run Static Check needs a CUDA file open in the editor.');
        return checks.runNow(uri);
      }
      case serverCommands.run: {
        const ref = kernelRefOf(args, 'Benchmark');
        return bench.start(await resolveKernelRef(documents, ref, 'Benchmark'), ref.uri);
      }
      case serverCommands.cancel: {
        const ref = kernelRefOf(args, 'Cancel Benchmark');
        return bench.cancel(ref.uri, (await resolveKernelRef(documents, ref, 'Cancel Benchmark')).qualifiedName);
      }
      case serverCommands.createSpec:
        return createSpec(kernelRefOf(args, 'Create Bench Spec'));
      default:
        throw new Error(`KernelPilot: unknown command ${command}`);
    }
  });
  return { executeCommandProvider: { commands: Object.values(serverCommands) } };
}
