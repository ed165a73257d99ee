/**
 * The native engine for tests, or the reason it is missing. A test that needs it skips with that
 * reason (printed in the test output) — except under GROKBENCH_ENGINE=native (CI), where a
 * missing addon fails the test file instead of skipping silently.
 */
import { loadNative } from '../../src/engine/native.js';

export function nativeForTests(): ReturnType<typeof loadNative> & { skip: false | string } {
  const n = loadNative();
  if (!n.kernels && process.env.GROKBENCH_ENGINE === 'native') throw new Error(`GROKBENCH_ENGINE=native but ${n.reason}`);
  return { ...n, skip: n.kernels ? false : `native engine not loaded: ${n.reason}` };
}
