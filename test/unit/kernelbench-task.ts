// A tiny KernelBench task (ReLU on 8×300) that the optimize tests of the CLI and the editor (LSP and VS Code) write to a
// temp folder: small enough for the KernelBench gate on Debian's CPU torch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RELU_TASK = readFileSync(join(__dirname, '../fixtures/kernelbench/tiny_relu.py'), 'utf8');
