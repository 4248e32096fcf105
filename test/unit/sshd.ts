// A real OpenSSH server on 127.0.0.1 for the SSH target's tests (recipe: shared/notes/test-infra.md): its own
// config, host key and pid file, a dedicated unprivileged user with a key of the test's own, and everything the
// client needs in ONE ssh config file's Host entry (address, port, user, key, pinned known_hosts with strict
// checking), so the target is reached exactly as a user's ~/.ssh/config would reach it. Needs root (useradd).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SSH_USER = 'kpremote';
export const SSH_HOST_ALIAS = 'kp-loop';
/** The same server under another name: another machine's view of it (its own host identity, its own local GPU lock). */
export const SSH_OTHER_ALIAS = 'kp-loop-other';

export interface Sshd {
  /** The ssh config file with the Host entry. */
  configFile: string;
  port: number;
  /** The test user's home on the "remote" side. */
  home: string;
  uid: number;
  /** Kills the server and every process of the test user (the server's sessions among them). */
  stop(): void;
  /** Kills the listening server only (sessions stay until their connections drop): "sshd died". */
  killServer(): void;
  /** Kills every process of the test user: its sessions' connections drop, its commands die. */
  dropConnections(): void;
  /** Pids of the test user's processes, with their command lines. */
  userProcesses(): Array<{ pid: number; command: string }>;
}

/** Why no sshd can be started here (a CI run installs openssh-server), or undefined when one can. */
export function sshdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the sshd tests create a user and need root';
  if (!existsSync('/usr/sbin/sshd')) return 'openssh-server is not installed (/usr/sbin/sshd)';
  if (spawnSync('ssh', ['-V']).error) return 'the OpenSSH client is not installed';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : failed(new Error('no port'))));
    });
  });
}

function ensureUser(home: string): number {
  if (spawnSync('id', ['-u', SSH_USER]).status !== 0) execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/sh', SSH_USER]);
  else execFileSync('usermod', ['-d', home, SSH_USER]);
  execFileSync('usermod', ['-p', '*', SSH_USER]);
  return Number(execFileSync('id', ['-u', SSH_USER], { encoding: 'utf8' }).trim());
}

function processesOf(uid: number): Array<{ pid: number; command: string }> {
  const out = spawnSync('ps', ['-o', 'pid=,args=', '-U', String(uid)], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), command: m[2] }));
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync('/tmp/kp-sshd-');
  chmodSync(dir, 0o755);
  const home = join(dir, 'home');
  execFileSync('mkdir', ['-p', home]);
  const uid = ensureUser(home);
  chownSync(home, uid, uid);
  chmodSync(home, 0o700);
  for (const key of ['host_key', 'client_key']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', join(dir, key)]);
  writeFileSync(join(dir, `authorized_keys.${SSH_USER}`), readFileSync(join(dir, 'client_key.pub')));
  const port = await freePort();
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  const pidFile = join(dir, 'sshd.pid');
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys.%u')}`,
      `AllowUsers ${SSH_USER}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'MaxSessions 64',
      'MaxStartups 64',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  const configFile = join(dir, 'ssh_config');
  writeFileSync(
    configFile,
    [
      `Host ${SSH_HOST_ALIAS} ${SSH_OTHER_ALIAS}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${SSH_USER}`,
      `  IdentityFile ${join(dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'),
  );
  execFileSync('mkdir', ['-p', '/run/sshd']);
  execFileSync('/usr/sbin/sshd', ['-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')]);
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidFile) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
  const serverPid = () => Number(readFileSync(pidFile, 'utf8').trim());
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  return {
    configFile,
    port,
    home,
    uid,
    userProcesses: () => processesOf(uid),
    killServer: () => kill(serverPid()),
    dropConnections: () => processesOf(uid).forEach((p) => kill(p.pid)),
    stop() {
      if (existsSync(pidFile)) kill(serverPid());
      processesOf(uid).forEach((p) => kill(p.pid));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
