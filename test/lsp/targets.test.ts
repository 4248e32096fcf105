// Where the editor's static check runs, over the real protocol: `kernelpilot.activeTarget` among
// `kernelpilot.targets`, read only from the user's own settings (initializationOptions, the client's user-settings
// notification). A repository's value (workspace/configuration answers, didChangeConfiguration pushes) never counts,
// and with the loopback sshd of the SSH target's tests the check's nvcc really runs there, its messages mapped back.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { USER_SETTINGS_NOTIFICATION } from '../../server/src/protocol/trust';
import { startSshd, sshdUnavailable, SSH_HOST_ALIAS, type Sshd } from '../unit/sshd';
import { uriOf, withLspClient, type ClientSettings } from './client';
import { kernelsCu, tempDir, writeTemp } from './fixtures';

const dir = tempDir('kp-targets-');
const tools = tempDir('kp-targets-tools-');
const calls = join(tools, 'nvcc-calls.log');
const wrapper = writeTemp(tools, 'nvcc', `#!/bin/sh\necho "$@" >> ${calls}\nexec nvcc "$@"\n`);
chmodSync(wrapper, 0o755);
const unavailable = sshdUnavailable();
let sshd: Sshd | undefined;
before(async () => {
  if (!unavailable) sshd = await startSshd();
});
after(() => {
  sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(tools, { recursive: true, force: true });
});

const compiled = (titles: string[]) => titles.length === 3 && titles.every((title) => title.includes('regs'));
const base = { cuda: { nvccPath: wrapper }, check: { debounceMs: 0 } };
/** A target that cannot be reached: a check sent there fails with a connection error instead of compiling. */
const elsewhere = { targets: { elsewhere: { url: 'ssh://kp-nowhere.invalid' } }, activeTarget: 'elsewhere' };

test('a workspace value of kernelpilot.targets / activeTarget is ignored: the check still runs here', { timeout: 120_000 }, async (t) => {
  rmSync(calls, { force: true });
  const uri = uriOf(writeTemp(dir, 'kernels.cu', kernelsCu));
  // The workspace/configuration answer carries the repository's choice; the user's own settings do not.
  await withLspClient(t, { root: dir, settings: { ...base, ...elsewhere }, userSettings: base }, async (client) => {
    await client.open(uri, 'cuda-cpp', kernelsCu);
    await client.waitForLenses(uri, compiled, 'lenses with registers from a local compile', 60_000);
    assert.match(readFileSync(calls, 'utf8'), /-cubin/, 'the local nvcc ran');
    // A settings change re-reads workspace/configuration and re-checks: still here.
    rmSync(calls, { force: true });
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { kernelpilot: { ...base, ...elsewhere } } });
    await client.waitFor('the re-check, by the local nvcc', () => (existsSync(calls) && /-cubin/.test(readFileSync(calls, 'utf8')) ? true : undefined), 60_000);
    await client.waitForLenses(uri, compiled, 'lenses with registers after the re-check', 60_000);
  });
});

test('the user\'s active target is the one used: an unknown name is said on the lens, and choosing local again compiles', { timeout: 120_000 }, async (t) => {
  const uri = uriOf(writeTemp(dir, 'kernels2.cu', kernelsCu));
  const user: ClientSettings = { ...base, targets: { box: { url: 'ssh://kp-nowhere.invalid' } }, activeTarget: 'gone' };
  await withLspClient(t, { root: dir, settings: user, userSettings: user }, async (client) => {
    await client.open(uri, 'cuda-cpp', kernelsCu);
    const lenses = await client.waitForLenses(uri, (titles) => titles.length === 3 && titles.every((x) => x.includes('activeTarget')), 'lenses naming the setting', 60_000);
    assert.match(lenses[0].command?.title ?? '', /kernelpilot\.activeTarget: 'gone' is not a target: .*kernelpilot\.targets \(box\)/);
    // The user picks local (what "KernelPilot: Select Target" writes to the user's settings).
    await client.connection.sendNotification(USER_SETTINGS_NOTIFICATION, { settings: { ...user, activeTarget: 'local' } });
    await client.waitForLenses(uri, compiled, 'lenses with registers once local is active', 60_000);
  });
});

test('an SSH target: the check compiles there, includes mirrored, messages name this machine\'s files', { timeout: 180_000, skip: unavailable }, async (t) => {
  const server = sshd as Sshd;
  const project = tempDir('kp-targets-ssh-');
  t.after(() => rmSync(project, { recursive: true, force: true }));
  const header = writeTemp(project, 'helper.cuh', '#pragma once\n__device__ float twice(float x) { return 2.0f * x; }\n__device__ float broken() { return undefined_in_header; }\n');
  const text = kernelsCu.replace('// KernelPilot LSP test fixture', '#include "helper.cuh"\n// KernelPilot LSP test fixture');
  const uri = uriOf(writeTemp(project, 'remote.cu', text));
  rmSync(calls, { force: true });
  const user: ClientSettings = { check: { debounceMs: 0 }, targets: { box: { url: `ssh://${SSH_HOST_ALIAS}`, sshConfig: server.configFile } }, activeTarget: 'box' };
  await withLspClient(t, { root: project, settings: user, userSettings: user }, async (client) => {
    await client.open(uri, 'cuda-cpp', text);
    const diagnostics = await client.waitFor('the header\'s error, on the header here', () => {
      const got = client.lastDiagnostics(uriOf(header));
      return got && got.length > 0 ? got : undefined;
    }, 120_000);
    assert.match(diagnostics[0].message, /undefined_in_header/);
    assert.equal(diagnostics[0].range.start.line, 2);
    // Ran there: the project folder is mirrored under the remote user's KernelPilot folder, and no nvcc ran here.
    const mirror = join(server.home, '.cache/kernelpilot/remote/files');
    assert.ok(existsSync(mirror) && findFile(mirror, 'helper.cuh'), `the header was not copied to the target (${mirror})`);
    assert.equal(existsSync(calls), false);
    // The check's own copy there is gone once it ended; the mirrored folders stay for the next check.
    await client.waitFor('the remote copy removed', () => (findFile(mirror, 'kp_source.cu') ? undefined : true), 20_000);
    assert.deepEqual(server.userProcesses().filter((p) => /nvcc|cicc|ptxas/.test(p.command)), [], 'no compiler left running there');
  });
});

function findFile(root: string, name: string): boolean {
  return readdirSync(root, { recursive: true, withFileTypes: true }).some((entry) => entry.name === name && entry.isFile());
}
