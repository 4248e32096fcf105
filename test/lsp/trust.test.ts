// Restricted Mode over the real protocol: a client that says the workspace is untrusted (VS Code's client does, in
// initializationOptions and with kernelpilot/workspaceTrust) gets kernels, lenses and hovers, and no compiler runs,
// until it grants trust. The nvcc path is a user-level wrapper that records every call, so "nothing ran" is seen.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WORKSPACE_TRUST_NOTIFICATION } from '../../server/src/protocol/trust';
import { positionOf, sleep, uriOf, withLspClient } from './client';
import { kernelsCu, tempDir, writeTemp } from './fixtures';

const dir = tempDir('kp-trust-');
const tools = tempDir('kp-trust-tools-');
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(tools, { recursive: true, force: true });
});
const calls = join(tools, 'nvcc-calls.log');
const wrapper = writeTemp(tools, 'nvcc', `#!/bin/sh\necho "$@" >> ${calls}\nexec nvcc "$@"\n`);
chmodSync(wrapper, 0o755);

test('untrusted: lenses and hovers say nothing was compiled and why; no nvcc runs until trust is granted', { timeout: 120_000 }, async (t) => {
  const uri = uriOf(writeTemp(dir, 'kernels.cu', kernelsCu));
  const user = { cuda: { nvccPath: wrapper }, check: { debounceMs: 0 } };
  await withLspClient(t, { root: dir, settings: user, userSettings: user, workspaceTrusted: false }, async (client) => {
    await client.open(uri, 'cuda-cpp', kernelsCu);
    const lenses = await client.waitForLenses(uri, (x) => x.length === 3, 'three lenses');
    for (const lens of lenses) {
      assert.match(lens.command?.title ?? '', /not compiled — Restricted Mode \(click to trust this folder/);
      assert.equal(lens.command?.command, 'workbench.trust.manage');
    }
    const hover = await client.hover(uri, positionOf(kernelsCu, 'vector_add(const'));
    assert.match(JSON.stringify(hover), /vector_add/, 'hovers work from discovery alone');
    await client.save(uri);
    const answer = String(await client.executeCommand('kernelpilot.server.recheck', [uri]));
    assert.match(answer, /was not compiled: this folder is in Restricted Mode, where KernelPilot runs no compiler\. Trust the folder/);
    await assert.rejects(client.executeCommand('kernelpilot.server.benchmark', [uri, 'vector_add']), /Restricted Mode, and a benchmark compiles and runs its code/);
    const all = (await client.allLenses(uri)) ?? [];
    assert.ok(all.some((l) => l.command?.title === '▶ Benchmark (Restricted Mode: trust the folder first)'));
    assert.ok(all.some((l) => l.command?.title === '◎ Profile (Restricted Mode: trust the folder first)'));
    await assert.rejects(client.executeCommand('kernelpilot.server.profile', [uri, 'vector_add']), /Restricted Mode, and profiling compiles and runs its code/);
    await sleep(1000);
    assert.equal(existsSync(calls), false, `nvcc ran in Restricted Mode:\n${existsSync(calls) ? readFileSync(calls, 'utf8') : ''}`);

    // The user trusts the folder: the open file is checked now, with the wrapper.
    await client.connection.sendNotification(WORKSPACE_TRUST_NOTIFICATION, { trusted: true });
    await client.waitForLenses(uri, (x) => x.length === 3 && x.every((title) => title.includes('regs')), 'lenses with registers once trusted', 60_000);
    assert.match(readFileSync(calls, 'utf8'), /-cubin/);
  });
});
