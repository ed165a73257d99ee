/** Assertions on grokbench's typed errors. */
import assert from 'node:assert/strict';
import { GrokbenchError } from '../../src/core/errors.js';

/** A validator for assert.throws / assert.rejects: a one-line GrokbenchError with this exit code and message. */
export function grokbenchError(exitCode: 1 | 2, pattern: RegExp) {
  return (err: unknown): true => {
    assert.ok(err instanceof GrokbenchError, String(err));
    assert.equal(err.exitCode, exitCode, err.message);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  };
}
