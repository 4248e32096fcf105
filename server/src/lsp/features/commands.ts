// Server commands (lenses, code actions and the client's palette run them): re-check, benchmark, cancel, create spec,
// optimize, cancel it, review its result; profile, cancel it, open its report.
import type { Connection, ServerCapabilities } from 'vscode-languageserver';
import { benchCommands } from '../bench';
import { BENCHMARKABLE, kernelRefOf, OPTIMIZABLE, resolveKernelRef } from '../kernel-ref';
import { MalformedParams } from '../guard';
import { optimizeCommands } from '../optimize';
import { profileCommands } from '../profile';
import type { Services } from '../services';
import { specCommands } from '../specs';
import { ServerCommand } from '../../protocol/commands';

export const serverCommands = { recheck: ServerCommand.recheck, ...benchCommands, createSpec: specCommands.create, ...optimizeCommands, ...profileCommands } as const;

export function register(connection: Connection, { documents, checks, bench, optimize, profile, createSpec }: Services): ServerCapabilities {
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
        return bench.start(await resolveKernelRef(documents, ref, 'Benchmark', BENCHMARKABLE), ref.uri);
      }
      case serverCommands.cancel: {
        const ref = kernelRefOf(args, 'Cancel Benchmark');
        return bench.cancel(ref.uri, (await resolveKernelRef(documents, ref, 'Cancel Benchmark', BENCHMARKABLE)).qualifiedName);
      }
      case serverCommands.createSpec:
        return createSpec(kernelRefOf(args, 'Create Bench Spec'));
      case serverCommands.optimize: {
        const ref = kernelRefOf(args, 'Optimize');
        return optimize.start(await resolveKernelRef(documents, ref, 'Optimize', OPTIMIZABLE), ref.uri);
      }
      case serverCommands.cancelOptimize: {
        const ref = kernelRefOf(args, 'Cancel Optimize');
        return optimize.cancel(ref.uri, (await resolveKernelRef(documents, ref, 'Cancel Optimize', OPTIMIZABLE)).qualifiedName);
      }
      case serverCommands.profile: {
        const ref = kernelRefOf(args, 'Profile');
        return profile.start(await resolveKernelRef(documents, ref, 'Profile'), ref.uri);
      }
      case serverCommands.cancelProfile: {
        const ref = kernelRefOf(args, 'Cancel Profile');
        return profile.cancel(ref.uri, (await resolveKernelRef(documents, ref, 'Cancel Profile')).qualifiedName);
      }
      case serverCommands.openProfileReport: {
        const ref = kernelRefOf(args, 'Open Profile Report');
        return profile.openReport(ref.uri, (await resolveKernelRef(documents, ref, 'Open Profile Report')).qualifiedName);
      }
      case serverCommands.reviewOptimize: {
        const ref = kernelRefOf(args, 'Review');
        const document = await documents.get(ref.uri);
        if (!document || ref.name === undefined) throw new Error(`KernelPilot: Review needs the kernel's file open in the editor and the kernel's name.`);
        return optimize.review(ref.uri, ref.name, document, typeof args?.[2] === 'string' ? args[2] : undefined);
      }
      default:
        throw new Error(`KernelPilot: unknown command ${command}`);
    }
  });
  return { executeCommandProvider: { commands: Object.values(serverCommands) } };
}
