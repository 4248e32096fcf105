// A one-node Slurm cluster on this machine for the Slurm target's tests (recipe: shared/notes/test-infra.md):
// munge, slurmctld and slurmd with their own config, state and logs in a temp folder, one partition `kp` and a
// stand-in `gpu` gres (a device file of /dev/null: no real GPU). Jobs run as root. Needs root and slurm-wlm + munge.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';

export const SLURM_PARTITION = 'kp';

export interface Slurm {
  /** SLURM_CONF for every srun/sbatch/scontrol of the tests and the target. */
  conf: string;
  /** Job ids Slurm knows (pending or running). */
  jobs(): string[];
  stop(): void;
}

export function slurmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the Slurm tests start munged and slurmd and need root';
  for (const tool of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged']) if (!existsSync(tool)) return `${tool} is not installed (apt-get install slurm-wlm munge)`;
  return undefined;
}

function pidOf(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

export function startSlurm(): Slurm {
  // A test run killed before its after() leaves its daemons on the cluster's fixed ports, and they would answer for
  // this one (its node busy with the old jobs): end them first. Only daemons of our own configs match.
  spawnSync('pkill', ['-KILL', '-f', '^/usr/sbin/slurm(ctld|d) -f /tmp/kp-slurm-']);
  const dir = mkdtempSync('/tmp/kp-slurm-');
  const node = hostname().split('.')[0];
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  if (!existsSync('/etc/munge/munge.key')) execFileSync('/usr/sbin/mungekey', ['--create']);
  execFileSync('mkdir', ['-p', '/run/munge']);
  execFileSync('chown', ['munge:', '/run/munge', '/etc/munge/munge.key']);
  // munged is started here only when none runs, and then stopped with the cluster.
  const ownMunge = spawnSync('pgrep', ['-x', 'munged']).status !== 0;
  if (ownMunge) execFileSync('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
  const memory = Math.floor(totalmem() / 2 ** 20 / 2);
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=kp',
      `SlurmctldHost=${node}`,
      'SlurmUser=root',
      'AuthType=auth/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'JobCompType=jobcomp/none',
      'SelectType=select/cons_tres',
      'GresTypes=gpu',
      'MinJobAge=30',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'SlurmctldPort=26817',
      'SlurmdPort=26818',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${memory} Gres=gpu:1 State=UNKNOWN`,
      `PartitionName=${SLURM_PARTITION} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'gres.conf'), `NodeName=${node} Name=gpu File=/dev/null\n`);
  const env = { ...process.env, SLURM_CONF: conf };
  execFileSync('/usr/sbin/slurmctld', ['-f', conf], { env });
  execFileSync('/usr/sbin/slurmd', ['-f', conf], { env });
  const deadline = Date.now() + 30_000;
  let state = '';
  while (Date.now() < deadline) {
    state = spawnSync('sinfo', ['-h', '-N', '-o', '%t'], { env, encoding: 'utf8' }).stdout?.trim() ?? '';
    if (state === 'idle' || state === 'mix' || state === 'alloc') break;
    spawnSync('sleep', ['0.3']);
  }
  if (state !== 'idle') throw new Error(`the test's Slurm node did not come up (state '${state}'); logs in ${dir}`);
  const jobs = () => (spawnSync('squeue', ['-h', '-t', 'PD,R', '-o', '%i'], { env, encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
  return {
    conf,
    jobs,
    stop() {
      for (const id of jobs()) spawnSync('scancel', [id], { env });
      for (const pidFile of ['slurmd.pid', 'slurmctld.pid']) {
        const pid = pidOf(join(dir, pidFile));
        if (pid) spawnSync('kill', [String(pid)]);
      }
      const munged = ownMunge ? pidOf('/run/munge/munged.pid') : undefined;
      if (munged) spawnSync('kill', [String(munged)]);
      spawnSync('sleep', ['0.5']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
