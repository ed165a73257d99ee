// Installs Slurm and munge (Debian's slurm-wlm and munge) at install time when they are missing and
// we run as root with apt-get: the tests of `grokbench sweep --executor slurm` start a real
// single-node Slurm on localhost (test/sweep/slurm-cluster.ts). grokbench itself needs Slurm only
// for --executor slurm, on a cluster that has it. Never fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const log = (m) => process.stderr.write(`grokbench install: ${m}\n`);
const present = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch'].every((p) => existsSync(p));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (!present && isRoot && apt && process.env.GROKBENCH_SKIP_SLURM !== '1') {
  log('installing slurm-wlm and munge with apt-get (for the Slurm executor\'s tests)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const r1 = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const r2 = spawnSync('apt-get', ['install', '-y', '-qq', 'slurm-wlm', 'munge'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r1.status !== 0 || r2.status !== 0) log('apt-get install slurm-wlm munge failed; the Slurm tests will be skipped');
}
