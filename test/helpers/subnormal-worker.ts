/**
 * Child process of test/engine/subnormals.test.ts, on the kernel path GROKBENCH_KERNELS names:
 * `node subnormal-worker.js STATE_FILE CONFIG_JSON EPOCHS THREADS` continues the state for EPOCHS
 * epochs with every kernel call's float arrays counted for float32 subnormals, and prints one JSON
 * line: the path, the total and the counts per kernel.
 */
import { loadNative } from '../../src/engine/native.js';
import { countingSubnormals } from '../../src/engine/subnormals.js';
import type { TrainConfig } from '../../src/config/config.js';
import { EpochLoop } from '../../src/train/loop.js';

const [stateFile, configJson, epochs, threads] = process.argv.slice(2);
const { kernels, reason } = loadNative();
if (!kernels) throw new Error(reason);
kernels.setThreads(Number(threads));
const loop = new EpochLoop(kernels, JSON.parse(configJson) as TrainConfig);
loop.load(stateFile);
const counter = countingSubnormals(kernels);
for (let i = 0; i < Number(epochs); i++) loop.epoch(counter.kernels);
process.stdout.write(JSON.stringify({ path: kernels.kernelsInfo().path, total: counter.total(), counts: counter.counts(), epoch: loop.epochsDone, testLoss: loop.lastTest.loss }) + '\n');
