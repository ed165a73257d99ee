/**
 * `grokbench serve` with an address or port it cannot have: one `grokbench:` line, exit status 2,
 * no stack trace, and no store directory left behind (the socket is bound before the store is
 * opened). Real command line, real sockets.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'grokbench-serve-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

function refused(args: string[], message: RegExp): void {
  const store = join(root, `store-${Math.random().toString(36).slice(2)}`);
  const r = runCli(['serve', ...args, '--store', store]);
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^grokbench: /);
  assert.match(lines[0], message);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  assert.ok(!existsSync(store), `${args.join(' ')}: no store directory created`);
}

describe('grokbench serve: bad --host and --port', () => {
  test('a host that is not an address of this machine, or not a host at all', () => {
    for (const host of ['192.0.2.1', '999.1.1.1', 'no-such-host.invalid', 'not a host', '', '::ffff:203.0.113.9']) {
      refused(['--host', host, '--port', '0'], /--host/);
    }
  });

  test('a port out of range or not a number', () => {
    refused(['--port', '70000'], /--port/);
    refused(['--port=-1'], /--port/);
    refused(['--port', 'abc'], /--port/);
    refused(['--port', '80.5'], /--port/);
  });

  test('a port already in use', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      refused(['--port', String(port)], new RegExp(`port ${port} .*in use`));
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  test('an existing store is left as it was', () => {
    const store = join(root, 'kept');
    const made = runCli(['train', '--p', '11', '--epochs', '5', '--d-mlp', '8', '--d-model', '8', '--n-heads', '1', '--d-head', '8', '--store', store, '--json']);
    assert.equal(made.status, 0, made.stderr);
    const listing = (): string[] => readdirSync(store, { recursive: true, encoding: 'utf8' }).sort();
    const before = listing();
    const sqlite = readFileSync(join(store, 'grokbench.sqlite'));
    const r = runCli(['serve', '--host', '192.0.2.1', '--port', '0', '--store', store]);
    assert.equal(r.status, 2);
    assert.deepEqual(listing(), before);
    assert.ok(readFileSync(join(store, 'grokbench.sqlite')).equals(sqlite), 'the database is unchanged');
  });
});
