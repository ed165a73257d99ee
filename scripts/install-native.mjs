// Builds grokbench's native engine (N-API addon over OpenBLAS) at install time.
// On a fresh Debian machine OpenBLAS is missing: when running as root with apt-get available,
// install libopenblas-dev first. If anything fails, grokbench still works on its TypeScript
// engine and says so once at run time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const log = (m) => process.stderr.write(`grokbench install: ${m}\n`);
const hasCblas = () =>
  ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h',
   '/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h'].some(existsSync);

if (process.env.GROKBENCH_SKIP_NATIVE === '1') {
  log('GROKBENCH_SKIP_NATIVE=1: skipping the native engine');
  process.exit(0);
}
// Chromium is needed only by the report's browser tests; install it along when we can.
const hasChromium = () => existsSync('/usr/bin/chromium');
if (!hasCblas() || !hasChromium()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (isRoot && apt) {
    const pkgs = [...(hasCblas() ? [] : ['libopenblas-dev']), ...(hasChromium() ? [] : ['chromium'])];
    log(`installing ${pkgs.join(' and ')} with apt-get (OpenBLAS for the native engine, Chromium for the browser tests)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const r1 = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    const r2 = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r1.status !== 0 || r2.status !== 0) log(`apt-get install ${pkgs.join(' ')} failed`);
  } else if (!hasCblas()) {
    log('OpenBLAS headers not found and cannot apt-get (need root): install libopenblas-dev to get the native engine');
  }
}
if (!hasCblas()) {
  log('building without OpenBLAS is not possible; grokbench will use its TypeScript engine');
  process.exit(0);
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
