/**
 * A real single-node Slurm for tests: munged, slurmctld and slurmd started on localhost (as root,
 * in the foreground-less daemon mode, no systemd) from a slurm.conf generated in a temp directory,
 * on ports of their own, and stopped by their pids. `why` says why it cannot start (for the skip).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SlurmCluster {
  dir: string;
  /** The environment that points Slurm's commands at this cluster (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  stop(): void;
}

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue', '/usr/bin/scancel', '/usr/bin/sinfo'];

/** Why a local Slurm cannot run here, or null when it can. */
export function slurmUnavailable(): string | null {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length) return `Slurm is not installed (missing ${missing.join(', ')}; Debian packages slurm-wlm and munge)`;
  if (process.getuid?.() !== 0) return 'starting slurmd needs root';
  return null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 30_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function killPidFile(path: string): void {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (pid > 1) process.kill(pid, 'SIGTERM');
  } catch { /* not running */ }
}

/** Start the cluster with `cpus` CPUs on its one node; throws with the daemons' logs when it does not come up. */
export function startSlurm(cpus = 2): SlurmCluster {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-slurm-'));
  const munge = join(dir, 'munge');
  mkdirSync(munge, { mode: 0o700 });
  mkdirSync(join(dir, 'state'));
  mkdirSync(join(dir, 'spool'));
  writeFileSync(join(munge, 'key'), randomBytes(1024), { mode: 0o400 });
  chmodSync(dir, 0o755);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const host = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    'ClusterName=grokbench', `SlurmctldHost=${host}(127.0.0.1)`, 'SlurmUser=root', 'SlurmdUser=root',
    'AuthType=auth/munge', 'CredType=cred/munge', `AuthInfo=socket=${join(munge, 'sock')}`,
    `StateSaveLocation=${join(dir, 'state')}`, `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`, `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldPort=${port}`, `SlurmdPort=${port + 1}`,
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SwitchType=switch/none', 'MpiDefault=none',
    'ReturnToService=2', 'SchedulerType=sched/backfill', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_CPU',
    'JobAcctGatherType=jobacct_gather/none', 'AccountingStorageType=accounting_storage/none', 'JobCompType=jobcomp/none',
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`, `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    // Ended tasks stay visible to squeue for 10 minutes; the scheduler looks every second.
    'MinJobAge=600', 'SchedulerParameters=sched_interval=1', 'KillWait=5',
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP', '',
  ].join('\n'));
  const env = { ...process.env, SLURM_CONF: conf };
  const cluster: SlurmCluster = {
    dir, env,
    stop() {
      killPidFile(join(dir, 'slurmd.pid'));
      killPidFile(join(dir, 'slurmctld.pid'));
      killPidFile(join(munge, 'pid'));
      // Give them a moment to exit before their files go.
      spawnSync('sleep', ['1']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const steps: [string, string[]][] = [
    ['/usr/sbin/munged', ['--force', `--key-file=${join(munge, 'key')}`, `--socket=${join(munge, 'sock')}`, `--pid-file=${join(munge, 'pid')}`,
      `--log-file=${join(munge, 'log')}`, `--seed-file=${join(munge, 'seed')}`]],
    ['/usr/sbin/slurmctld', ['-c', '-i']],
    ['/usr/sbin/slurmd', ['-c']],
  ];
  for (const [cmd, args] of steps) {
    const r = run(cmd, args, env);
    if (r.status !== 0) { cluster.stop(); throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.out}`); }
  }
  const t0 = Date.now();
  for (;;) {
    const s = run('/usr/bin/sinfo', ['-h', '-o', '%t'], env);
    if (s.status === 0 && /^idle/m.test(s.out)) return cluster;
    if (Date.now() - t0 > 30_000) {
      const logs = ['slurmctld.log', 'slurmd.log'].map((f) => { try { return readFileSync(join(dir, f), 'utf8').split('\n').slice(-5).join(' | '); } catch { return ''; } });
      cluster.stop();
      throw new Error(`the Slurm node never became idle (sinfo: ${s.out}); logs: ${logs.join(' || ')}`);
    }
    spawnSync('sleep', ['0.3']);
  }
}
