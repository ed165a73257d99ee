/** A worker thread of the analysis pipeline: its own engine (one BLAS thread), one task at a time. */
import { parentPort } from 'node:worker_threads';
import { loadKernels } from '../engine/index.js';
import { GrokbenchError } from '../core/errors.js';
import { CheckpointUnreadable, type Task, runTask } from './pipeline.js';
import { Scratch } from './library/scratch.js';

const port = parentPort!;
const kernels = loadKernels({ threads: 1, quiet: true });
const scratch = new Scratch();
port.on('message', (task: Task) => {
  try {
    port.postMessage({ id: task.id, results: runTask(kernels, task, scratch) });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    port.postMessage({ id: task.id, error: { message, exitCode: err instanceof GrokbenchError ? err.exitCode : 1, unreadable: err instanceof CheckpointUnreadable } });
  }
});
