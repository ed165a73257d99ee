/**
 * `npm run bench`: training speed of the default config (p=113, 3830 training pairs, d_model 128,
 * d_mlp 512, test evaluation every epoch) in ms/epoch and GFLOP/s of its matrix products against
 * the machine's peak, for every kernel path and 1 and 2 threads, early and late in a run
 * (bench/training.ts); whole-process `grokbench train --epochs 1000`; PyTorch's fair baseline
 * (per-token tables) and faithful three-position model (bench/torch_baseline.py, Debian's
 * /usr/bin/python3) in every thread and OpenBLAS core-type setting, and the ratios; then the time
 * to analyse a full 251-checkpoint run (bench/analysis.ts), and outcome + neuron dynamics of such a
 * run from its stored artifacts (bench/outcome.ts).
 * Environment: BENCH_EPOCHS (default 100), BENCH_LATE_EPOCHS (default 2000), BENCH_LATE_P113_EPOCHS (default 12000), BENCH_LATE_RESUME
 * (late states, see training.ts), BENCH_PROCESS_EPOCHS (default 1000;
 * 0 skips), BENCH_FULL_RUN=1 (also a whole 25,000-epoch p=113 run, about 8 minutes: its mean ms/epoch), BENCH_TORCH_EPOCHS (default 20), BENCH_SKIP_TORCH=1, BENCH_SKIP_ANALYSIS=1,
 * BENCH_SKIP_OUTCOME=1.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadKernels, engineDetails } from '../src/engine/index.js';
import { ADDON_PATH, packageRoot } from '../src/engine/native.js';
import { DEFAULTS } from '../src/config/config.js';
import { LATE_CONFIG, type LateState, type PathResult, makeLateState, runPath } from './training.js';

/** The CPU's model name and vector features, from /proc/cpuinfo. */
function cpuDescription(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const vendor = /vendor_id\s*:\s*(.*)/.exec(info)?.[1] ?? 'unknown vendor';
    const family = /cpu family\s*:\s*(.*)/.exec(info)?.[1], modelNo = /model\s*:\s*(\d+)/.exec(info)?.[1];
    const model = `${vendor} ${/model name\s*:\s*(.*)/.exec(info)?.[1] ?? 'unknown CPU'} (family ${family ?? '?'}, model ${modelNo ?? '?'})`;
    const flags = /flags\s*:\s*(.*)/.exec(info)?.[1].split(' ') ?? [];
    return `${model}, ${os.availableParallelism()} core(s), ${['avx512f', 'avx2', 'fma'].filter((f) => flags.includes(f)).join(' ') || 'no AVX'}`;
  } catch { return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} core(s)`; }
}

/** One PyTorch baseline run: ms/epoch, or null with the reason. */
function torchRun(py: string, model: 'faithful' | 'tables', threads: string, coretype: string | undefined, epochs: string): { ms: number; cpuMs: number } | string {
  // glibc: keep freed blocks (up to its 32 MB mmap limit) instead of unmapping them every epoch.
  const env: NodeJS.ProcessEnv = { ...process.env, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '4294967296' };
  if (coretype) env.OPENBLAS_CORETYPE = coretype; else delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(py, [join(packageRoot(), 'bench', 'torch_baseline.py'), epochs, threads, model], { encoding: 'utf8', env });
  if (r.status !== 0) return r.stderr.split('\n').filter(Boolean).pop() ?? 'failed';
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms_per_epoch: number; cpu_ms_per_epoch: number };
  return { ms: j.ms_per_epoch, cpuMs: j.cpu_ms_per_epoch };
}

async function main(): Promise<void> {
  const epochs = Number(process.env.BENCH_EPOCHS ?? 100);
  const k = loadKernels();
  console.log(`machine: ${cpuDescription()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine slows every number below)`);
  console.log(`engine: ${engineDetails(k)}`);
  if (k.name !== 'native') { console.log('the native engine is not loaded: nothing to measure'); return; }
  // Late-epoch states: runs past grokking, with the AdamW moments they had.
  const lateEpochs = Number(process.env.BENCH_LATE_EPOCHS ?? 2000);
  const p113Epochs = Number(process.env.BENCH_LATE_P113_EPOCHS ?? 12000);
  const build = createHash('sha256').update(readFileSync(ADDON_PATH)).digest('hex').slice(0, 12);
  const cache = join(os.homedir(), '.cache', 'grokbench', 'bench');
  const states: LateState[] = [{ name: `demo preset (p=${LATE_CONFIG.p}) at epoch ${lateEpochs}`, config: LATE_CONFIG, epochs: lateEpochs, file: join(cache, `late-p59-e${lateEpochs}-${build}.safetensors`) }];
  const given = (process.env.BENCH_LATE_RESUME ?? '').split(',').filter(Boolean);
  for (const file of given) states.push({ name: `p=113 from ${file}`, config: DEFAULTS, epochs: -1, file });
  if (given.length === 0 && p113Epochs > 0) {
    states.push({ name: `p=113 default config (seed ${DEFAULTS.seed}, data seed ${DEFAULTS.dataSeed}) at epoch ${p113Epochs}`, config: DEFAULTS, epochs: p113Epochs, file: join(cache, `late-p113-e${p113Epochs}-${build}.safetensors`) });
  }
  k.setThreads(2);
  for (const st of states.filter((x) => x.epochs >= 0)) {
    const t0 = performance.now();
    const r = makeLateState(k, st);
    console.log(`late state: ${st.name}, test loss ${r.testLoss.toExponential(2)} (${r.cached ? `cached in ${st.file}` : `trained here in ${((performance.now() - t0) / 1000).toFixed(0)} s, kept in ${st.file}`})`);
  }
  const results: PathResult[] = [];
  for (const path of ['avx512', 'avx2', 'portable']) {
    const r = runPath(path, states, epochs);
    if ('skipped' in r) { console.log(`path ${path}: skipped (${r.skipped})`); continue; }
    results.push(r);
    // Peak = FMA units × lanes × 2 flops × clock, the units read off the measured throughput. The
    // portable path has no hardware peak: built for baseline x86-64, its fmaf is a libm routine
    // (its rate depends on the calling code), so no "% of peak" is printed for it.
    const units = r.fmaPeak1 / (r.clockGHz * 2 * r.lanes);
    const hw = r.lanes > 1;
    const peak1 = Math.max(1, Math.round(units)) * r.lanes * 2 * r.clockGHz;
    const ofPeak = (gflops: number, threads: number): string => hw ? ` (${(100 * gflops / (peak1 * threads)).toFixed(0)} % of peak)` : '';
    console.log(`path ${path} (${r.reason}): clock ${r.clockGHz.toFixed(2)} GHz (measured: dependent integer adds, best of 40 short runs), ` +
      (hw ? `one core's FMA throughput ${r.fmaPeak1.toFixed(1)} GFLOP/s (best of 20) = ${units.toFixed(2)} FMA units × ${r.lanes} lane(s) × 2 flops × clock; ` +
        `peak ${peak1.toFixed(0)} GFLOP/s per core, ${(2 * peak1).toFixed(0)} on 2`
        : `scalar fmaf (a libm routine on baseline x86-64) ${r.fmaPeak1.toFixed(1)} GFLOP/s in a loop of 12 chains; no hardware peak`));
    for (const t of r.threads) {
      console.log(`  ${t.threads} thread(s): p=113 default config from init ${t.earlyMs.toFixed(2)} ms/epoch (CPU ${t.earlyCpuMs.toFixed(2)}), ` +
        `GEMMs ${t.gflops.toFixed(0)} GFLOP/s in-loop (the epoch's ${(t.flopsPerEpoch / 1e9).toFixed(2)} GFLOP of GEMM over the whole epoch)${ofPeak(t.gflops, t.threads)}`);
      for (const l of t.late) {
        console.log(`    late: ${l.name}: from init ${l.earlyMs.toFixed(2)} / late ${l.lateMs.toFixed(2)} ms/epoch, late/early ${(l.lateMs / l.earlyMs).toFixed(2)} (target ≤ 1.1; test loss ${l.testLoss.toExponential(2)})`);
      }
    }
    for (const g of r.gemm) console.log(`    gemm ${g.shape}, ${g.threads} thread(s): ${g.gflops.toFixed(0)} GFLOP/s${ofPeak(g.gflops, g.threads)}`);
  }
  // Whole process: grokbench train --epochs N at p=113 with 2 threads, startup and checkpoints included.
  const procEpochs = Number(process.env.BENCH_PROCESS_EPOCHS ?? 1000);
  const whole: Record<string, number> = {};
  if (procEpochs > 0) {
    for (const r of results.filter((x) => x.path !== 'portable')) {
      const store = mkdtempSync(join(os.tmpdir(), 'grokbench-bench-'));
      const t0 = performance.now();
      const run = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'grokbench'), 'train', '--p', '113', '--epochs', String(procEpochs), '--threads', '2', '--store', store, '--json'],
        { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: r.path } });
      const ms = (performance.now() - t0) / procEpochs;
      rmSync(store, { recursive: true, force: true });
      if (run.status !== 0) { console.log(`whole process on ${r.path}: failed (${run.stderr.trim().split('\n').pop()})`); continue; }
      whole[r.path] = ms;
      console.log(`whole process, grokbench train --p 113 --epochs ${procEpochs} --threads 2, ${r.path}: ${ms.toFixed(2)} ms/epoch (target ≤ ${r.path === 'avx512' ? 15 : 22})`);
    }
  }
  if (process.env.BENCH_FULL_RUN === '1') {
    // The mean over a whole run: 25,000 epochs from initialisation through grokking (p=113, seed 999, data seed 598), 2 threads.
    const store = mkdtempSync(join(os.tmpdir(), 'grokbench-bench-'));
    const t0 = performance.now();
    const run = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'grokbench'), 'train', '--p', '113', '--seed', '999', '--epochs', '25000', '--threads', '2', '--store', store, '--json'], { encoding: 'utf8' });
    const ms = (performance.now() - t0) / 25000;
    rmSync(store, { recursive: true, force: true });
    if (run.status !== 0) console.log(`full run: failed (${run.stderr.trim().split('\n').pop()})`);
    else {
      const j = JSON.parse(run.stdout) as { grok_epoch: number | null; final: { test_loss: number | null } };
      console.log(`full run, grokbench train --p 113 --seed 999 --epochs 25000 --threads 2: mean ${ms.toFixed(2)} ms/epoch whole process (grok epoch ${j.grok_epoch}, final test loss ${(j.final.test_loss ?? NaN).toExponential(2)})`);
    }
  }
  const best = Math.min(...results.flatMap((r) => r.threads.map((t) => t.earlyMs)));
  const bestCpu = Math.min(...results.flatMap((r) => r.threads.map((t) => t.earlyCpuMs)));
  const py = '/usr/bin/python3';
  if (process.env.BENCH_SKIP_TORCH !== '1' && existsSync(py) && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) {
    const tEpochs = process.env.BENCH_TORCH_EPOCHS ?? '20';
    for (const model of ['tables', 'faithful'] as const) {
      let bestTorch = Infinity, bestSetting = '', bestTorchCpu = Infinity;
      for (const threads of ['1', '2']) {
        for (const core of [undefined, 'SkylakeX', 'Haswell']) {
          const t = torchRun(py, model, threads, core, tEpochs);
          const setting = `torch threads ${threads}, OPENBLAS_CORETYPE=${core ?? '(unset)'}`;
          if (typeof t === 'string') { console.log(`PyTorch ${model}, ${setting}: failed (${t})`); continue; }
          console.log(`PyTorch ${model === 'tables' ? 'fair baseline (per-token tables, last position)' : 'faithful three-position model'}, ${setting}: ${t.ms.toFixed(1)} ms/epoch (CPU ${t.cpuMs.toFixed(1)})`);
          if (t.ms < bestTorch) { bestTorch = t.ms; bestSetting = setting; }
          bestTorchCpu = Math.min(bestTorchCpu, t.cpuMs);
        }
      }
      if (Number.isFinite(bestTorch)) {
        console.log(`grokbench (best ${best.toFixed(2)} ms/epoch) is ${(bestTorch / best).toFixed(1)}× faster than PyTorch's ${model === 'tables' ? 'fair baseline' : 'faithful model'} ` +
          `in its best setting (${bestSetting}: ${bestTorch.toFixed(1)} ms/epoch; target ≥ ${model === 'tables' ? 3 : 12}×); ` +
          `in CPU time (work, less sensitive to other load) ${(bestTorchCpu / bestCpu).toFixed(1)}×`);
      }
    }
  } else console.log(`PyTorch baseline skipped (${process.env.BENCH_SKIP_TORCH === '1' ? 'BENCH_SKIP_TORCH=1' : 'Debian python3-torch not installed'})`);
  if (process.env.BENCH_SKIP_ANALYSIS !== '1') {
    const path = join(packageRoot(), 'dist', 'bench', 'analysis.js');
    if (existsSync(path)) {
      const { benchAnalysis } = await import(path) as { benchAnalysis: () => Promise<{ seconds: number; checkpoints: number }> };
      const a = await benchAnalysis();
      console.log(`analyse a full p=113 run (${a.checkpoints} checkpoints, 512 neurons): ${a.seconds.toFixed(1)} s`);
    }
  }
  if (process.env.BENCH_SKIP_OUTCOME !== '1') {
    const { benchOutcome } = await import(join(packageRoot(), 'dist', 'bench', 'outcome.js')) as typeof import('./outcome.js');
    const o = benchOutcome();
    console.log(`outcome + neuron dynamics of a p=113 run (${o.checkpoints} checkpoints, ${o.neurons} neurons) from stored artifacts: ${o.seconds.toFixed(2)} s (target ≤ 2 s)`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
