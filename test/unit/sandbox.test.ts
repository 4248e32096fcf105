// The sandbox for candidate processes (server/src/targets/sandbox.ts), with the real bwrap of this machine:
// network, file system, home folder, the limits on CPU time, memory, processes and output, a program built and run
// with the real nvcc inside it, and the one clear message when no sandbox can be made.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalTargetOptions } from '../../server/src/targets/local';
import type { ExecResult, SandboxPolicy, Target } from '../../server/src/targets/target';
import { bundleForTest } from '../bundle';

let LocalTarget: new (options?: LocalTargetOptions) => Target;
const scratch = () => mkdtempSync(join(tmpdir(), 'kp-sandbox-test-'));
const say = (name: string, r: ExecResult) => console.log(`  [${name}] exit ${r.exitCode}${r.limit ? `, limit ${r.limit.kind}: ${r.limit.message}` : ''}; ${JSON.stringify((r.stdout + r.stderr).trim().slice(-200))}`);

/** Builds a C helper with the host's compiler (outside any sandbox). */
async function cc(target: Target, dir: string, name: string, source: string): Promise<string> {
  writeFileSync(join(dir, `${name}.c`), source);
  const r = await target.exec('cc', ['-O1', '-o', name, `${name}.c`], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return join(dir, name);
}

const CONNECT_C = `
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int main(int argc, char** argv) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(atoi(argv[1]));
  a.sin_addr.s_addr = htonl(0x7f000001);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) { printf("no connection: %s\\n", strerror(errno)); return 3; }
  printf("connected\\n");
  return 0;
}`;

/** The shell storm's sleep, distinctive enough to count its survivors among the machine's other processes. */
const STORM_SLEEP = '37.25';

/** A fork storm that keeps trying when fork fails: only the sandbox can end it. */
const FORK_C = `
#include <unistd.h>
int main(void) {
  for (;;) if (fork() == 0) { sleep(30); _exit(0); }
}`;

const ALLOC_C = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  for (int i = 0; i < 16; i++) {
    char* p = malloc(64 << 20);
    if (!p) { perror("malloc"); return 4; }
    memset(p, 1, 64 << 20);
  }
  printf("allocated 1 GiB\\n");
  return 0;
}`;

describe('the sandbox, with the real bwrap', { timeout: 300_000 }, () => {
  let target: Target;
  let dir: string;
  let server: Server;
  let port = 0;
  let accepted = 0;
  let connectBin: string;
  let allocBin: string;
  let forkBin: string;
  const marker = join(homedir(), `.kp-sandbox-marker-${process.pid}`);
  const run = (file: string, args: string[], policy: Partial<SandboxPolicy> = {}, timeoutMs = 60_000) =>
    target.exec(file, args, { cwd: dir, timeoutMs, sandbox: { writable: [dir], gpu: false, ...policy } });

  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    LocalTarget = (require(bundleForTest(join(__dirname, '../../server/src/targets/local.ts'), 'local-sandbox')) as { LocalTarget: typeof LocalTarget }).LocalTarget;
    // KP_BWRAP: a bwrap that is not on PATH (one carried to a machine without bubblewrap).
    target = new LocalTarget({ sandbox: () => ({ enabled: true, bwrapPath: process.env.KP_BWRAP }) });
    dir = scratch();
    connectBin = await cc(target, dir, 'connect', CONNECT_C);
    allocBin = await cc(target, dir, 'alloc', ALLOC_C);
    forkBin = await cc(target, dir, 'fork', FORK_C);
    server = createServer((socket) => {
      accepted++;
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    writeFileSync(marker, 'secret\n');
  });

  after(() => {
    server.close();
    rmSync(marker, { force: true });
  });

  it('reaches a writable folder below a private (0700) folder, as a private cache under the home folder is', async () => {
    const privateParent = mkdtempSync(join(homedir(), '.kp-sandbox-private-'));
    try {
      chmodSync(privateParent, 0o700);
      const inner = mkdtempSync(join(privateParent, 'scratch-'));
      // By its absolute path (nvcc's TMPDIR is one), not only through the working folder.
      const r = await target.exec('/bin/sh', ['-c', 'echo made > "$1/made.txt" && cat "$1/made.txt"', 'sh', inner], { cwd: inner, timeoutMs: 30_000, sandbox: { writable: [inner], gpu: false } });
      say('private parent', r);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(readFileSync(join(inner, 'made.txt'), 'utf8'), 'made\n');
    } finally {
      rmSync(privateParent, { recursive: true, force: true });
    }
  });

  it('reads the /etc files it is given, and follows a program link through /etc/alternatives (as Ubuntu installs CUDA)', { skip: process.getuid?.() !== 0 && 'needs root: it puts a link in /etc/alternatives' }, async () => {
    const dir = scratch();
    const alternative = mkdtempSync(join('/etc/alternatives', 'kp-sandbox-test-'));
    rmSync(alternative, { recursive: true });
    try {
      // /etc/alternatives/NAME -> the folder of a program; the program is run by a path through that link.
      symlinkSync(dirname(process.execPath), alternative);
      const linked = join(dir, 'bin');
      symlinkSync(alternative, linked);
      const r = await target.exec(join(linked, basename(process.execPath)), ['-e', 'console.log(require("fs").readFileSync("/etc/passwd", "utf8").length > 0)'], { cwd: dir, timeoutMs: 30_000, sandbox: { writable: [dir], readable: [dirname(process.execPath)], gpu: false } });
      say('/etc', r);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'true');
    } finally {
      rmSync(alternative, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a program through a virtual environment\'s link and reads the environment beside the link (a venv python3 on the GPU machine)', async () => {
    const venv = scratch();
    const work = scratch();
    try {
      // venv/bin/<interpreter> -> the system's interpreter; the environment's own files live in venv/lib.
      chmodSync(venv, 0o755); // as installed environments are (mkdtemp makes 0700)
      mkdirSync(join(venv, 'bin'));
      mkdirSync(join(venv, 'lib'));
      writeFileSync(join(venv, 'lib', 'site.txt'), 'packages');
      symlinkSync(process.execPath, join(venv, 'bin', basename(process.execPath)));
      const r = await target.exec(join(venv, 'bin', basename(process.execPath)), ['-e', `process.stdout.write(require("fs").readFileSync(${JSON.stringify(join(venv, 'lib', 'site.txt'))}, "utf8"))`], { cwd: work, timeoutMs: 30_000, sandbox: { writable: [work], gpu: false } });
      say('venv', r);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, 'packages');
    } finally {
      rmSync(venv, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('blocks the network: a loopback listener of the host is not reached', async () => {
    const outside = await target.exec(connectBin, [String(port)], { timeoutMs: 10_000 });
    assert.equal(outside.stdout.trim(), 'connected', 'the listener works outside the sandbox');
    const before = accepted;
    const inside = await run(connectBin, [String(port)]);
    say('network', inside);
    assert.equal(inside.exitCode, 3);
    assert.match(inside.stdout, /no connection: (Network is unreachable|Connection refused)/);
    assert.equal(accepted, before, 'no connection arrived from the sandbox');
    assert.equal(inside.sandboxed, true);
  });

  it('lets it write only its scratch folder', async () => {
    const elsewhere = scratch();
    const r = await run('/bin/sh', ['-c', `echo ok > ${dir}/inside.txt; echo x > ${elsewhere}/outside.txt; echo x > /usr/kp-sandbox.txt; echo done`]);
    say('writes', r);
    assert.equal(readFileSync(join(dir, 'inside.txt'), 'utf8'), 'ok\n');
    assert.equal(existsSync(join(elsewhere, 'outside.txt')), false);
    assert.equal(existsSync('/usr/kp-sandbox.txt'), false);
    assert.match(r.stderr, /outside\.txt: (Directory nonexistent|No such file or directory|Read-only file system)/);
    assert.match(r.stderr, /kp-sandbox\.txt: (Read-only file system|Permission denied)/);
  });

  it('hides the home folder: a marker file there cannot be read', async () => {
    assert.equal(readFileSync(marker, 'utf8'), 'secret\n');
    const r = await run('/bin/cat', [marker]);
    say('home', r);
    assert.notEqual(r.exitCode, 0);
    assert.doesNotMatch(r.stdout, /secret/);
    assert.match(r.stderr, /No such file or directory|Permission denied/);
  });

  it('passes only known environment variables, not the server\'s own', async () => {
    process.env.KP_SECRET_TOKEN = 'leak';
    try {
      const r = await target.exec('/usr/bin/env', [], { cwd: dir, timeoutMs: 10_000, env: { KP_GIVEN: 'given' }, sandbox: { writable: [dir], gpu: false } });
      assert.doesNotMatch(r.stdout, /KP_SECRET_TOKEN/);
      assert.match(r.stdout, /^KP_GIVEN=given$/m, 'what the caller passes explicitly is there');
      assert.match(r.stdout, /^HOME=\/tmp$/m);
    } finally {
      delete process.env.KP_SECRET_TOKEN;
    }
  });

  it('ends a fork storm with its reason: one that gives up, and one that keeps trying', async () => {
    for (const [name, file, args] of [['shell storm', '/bin/sh', ['-c', `while :; do sleep ${STORM_SLEEP} & done`]], ['C storm', forkBin, []]] as const) {
      const started = performance.now();
      const r = await run(file, [...args], { limits: { processes: 40 } }, 60_000);
      say(name, r);
      assert.equal(r.timedOut, false, 'ended by the sandbox, not by the timeout');
      assert.equal(r.limit?.kind, 'processes');
      assert.ok(performance.now() - started < 20_000);
    }
    // Only this test's processes: a distinctive sleep, and the C storm's own program (other work on the machine may sleep too).
    const strays = await target.exec('/bin/sh', ['-c', 'ps -eo args= | grep -c -x -F -e "sleep $1" -e "$2" || true', 'sh', STORM_SLEEP, forkBin], { timeoutMs: 10_000 });
    assert.equal(strays.stdout.trim(), '0', 'no process of the storm survives its sandbox');
  });

  it('ends an output flood with its reason, the output cut and marked', async () => {
    const r = await run('/usr/bin/yes', ['flood'], { limits: { outputBytes: 1 << 20 } });
    say('output flood', { ...r, stdout: r.stdout.slice(-120) });
    assert.equal(r.limit?.kind, 'output');
    assert.ok(r.stdout.length < (1 << 20) + 200, `${r.stdout.length} bytes kept`);
    assert.match(r.stdout, /\[kernelpilot: output cut at 1048576 bytes; the process was ended\]\n$/);
  });

  it('holds the CPU-time limit', async () => {
    const r = await run('/bin/sh', ['-c', 'while :; do :; done'], { limits: { cpuSeconds: 1 } }, 30_000);
    say('cpu', r);
    assert.equal(r.timedOut, false);
    assert.equal(r.limit?.kind, 'cpu-time');
    assert.ok(r.durationMs < 10_000);
  });

  it('holds the memory limit', async () => {
    const outside = await target.exec(allocBin, [], { timeoutMs: 60_000 });
    assert.equal(outside.exitCode, 0, `the helper allocates 1 GiB outside: ${outside.stderr}`);
    const r = await run(allocBin, [], { limits: { memoryBytes: 256 * 2 ** 20 } });
    say('memory', r);
    assert.equal(r.exitCode, 4);
    assert.equal(r.limit?.kind, 'memory');
    assert.doesNotMatch(r.stdout, /allocated/);
  });

  it('builds a candidate-like program with the real nvcc inside it, then runs it inside it', async () => {
    const build = scratch();
    writeFileSync(
      join(build, 'prog.cu'),
      ['#include <cstdio>', '#include <cuda_runtime.h>', '__global__ void k(float* x) { x[threadIdx.x] *= 2.0f; }', 'int main() {', '  int n = -1;', '  cudaError_t e = cudaGetDeviceCount(&n);', '  std::printf("devices: %s\\n", e == cudaSuccess ? "yes" : cudaGetErrorName(e));', '  return 0;', '}'].join('\n'),
    );
    const nvcc = await target.exec('nvcc', ['-arch=sm_90', '-o', 'prog', 'prog.cu'], { cwd: build, timeoutMs: 180_000, sandbox: { writable: [build], gpu: false } });
    say('nvcc', nvcc);
    assert.equal(nvcc.exitCode, 0, nvcc.stderr);
    const ran = await target.exec(join(build, 'prog'), [], { cwd: build, timeoutMs: 60_000, sandbox: { writable: [build], gpu: true } });
    say('program', ran);
    assert.equal(ran.exitCode, 0, ran.stderr);
    assert.match(ran.stdout, /^devices: /);
  });

  it('without a sandbox says so once, clearly, and refuses; run without one only by choice, told once', async () => {
    const notices: string[] = [];
    const missing = new LocalTarget({ sandbox: () => ({ enabled: true, bwrapPath: '/nonexistent/bwrap' }), onSandboxNotice: (m) => notices.push(m) });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(missing.exec('/bin/true', [], { sandbox: { writable: [dir], gpu: false } }), (e: Error) => {
        assert.equal(e.name, 'SandboxUnavailableError');
        assert.match(e.message, /the bwrap program '\/nonexistent\/bwrap' does not exist/);
        assert.match(e.message, /--no-sandbox/);
        return true;
      });
    }
    assert.equal(notices.length, 1, 'said once');
    console.log(`  [unavailable] ${notices[0]}`);
    const unsandboxed: string[] = [];
    const chosen = new LocalTarget({ sandbox: () => ({ enabled: false, bwrapPath: '/nonexistent/bwrap' }), onSandboxNotice: (m) => unsandboxed.push(m) });
    for (let i = 0; i < 2; i++) {
      const r = await chosen.exec('/bin/cat', [marker], { sandbox: { writable: [dir], gpu: false } });
      assert.equal(r.sandboxed, false);
      assert.equal(r.stdout, 'secret\n', 'unsandboxed by choice: it reads the home folder');
    }
    assert.equal(unsandboxed.length, 1);
    assert.match(unsandboxed[0], /WITHOUT a sandbox/);
  });
});
