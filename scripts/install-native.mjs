// Builds grokbench's native engine (an N-API addon with its own kernels; no BLAS) at install time.
// On a fresh Debian machine, when running as root with apt-get available, it also installs
// Chromium (for the report's browser tests) when missing. If the build fails, grokbench still
// works on its TypeScript engine and says so once at run time (GROKBENCH_ENGINE=native makes that
// an error, as CI sets it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const log = (m) => process.stderr.write(`grokbench install: ${m}\n`);

if (process.env.GROKBENCH_SKIP_NATIVE === '1') {
  log('GROKBENCH_SKIP_NATIVE=1: skipping the native engine');
  process.exit(0);
}
// Chromium is needed only by the report's browser tests; install it along when we can.
if (!existsSync('/usr/bin/chromium')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (isRoot && apt) {
    log('installing chromium with apt-get (for the browser tests)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const r1 = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    const r2 = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r1.status !== 0 || r2.status !== 0) log('apt-get install chromium failed');
  }
}
// npm runs install scripts with its bundled node-gyp on PATH (and in npm_config_node_gyp).
const bundled = [process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
  .find((p) => p && existsSync(p));
// Build against the headers installed with Node (no download): npm sets npm_config_nodedir on
// this kind of machine; outside npm, use the prefix Node itself was installed under.
const gypArgs = ['rebuild', '--loglevel=warn'];
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
  gypArgs.push(`--nodedir=${prefix}`);
}
const gyp = bundled
  ? spawnSync(process.execPath, [bundled, ...gypArgs], { stdio: ['ignore', 'inherit', 'inherit'] })
  : spawnSync('node-gyp', gypArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
if (gyp.status !== 0) {
  log('native build failed; grokbench will use its TypeScript engine');
  process.exit(0);
}
log('native engine built');
