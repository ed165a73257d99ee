/**
 * The dashboard's security: the token guards every request (reads too; a state-changing one needs it in its header), nothing from a URL or
 * a form reaches a path outside the store, bad requests get a 4xx with a message (and the server
 * keeps serving), and it listens on 127.0.0.1 only. Against a real server on a real store.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { buildFixtureStore } from '../report/fixture.js';

let s: RunningServer;
let dir: string;
const TOKEN = 'test-token-0123456789abcdef';

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A read that shows the token in its header, as the tests of what lies behind it need. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return raw('GET', path, { 'x-grokbench-token': TOKEN, ...headers });
}

describe('grokbench serve security', () => {
  before(async () => {
    const f = await buildFixtureStore([{ p: 11, seed: 1, grokAt: 200, epochs: 300, checkpointEvery: 50, keys: [2] }]);
    f.store.close();
    dir = f.dir;
    s = await startServer({ storeDir: dir, port: 0, token: TOKEN });
  });
  after(async () => { await s?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('a state-changing request without the token, or with a wrong one, gets 403 and starts nothing', async () => {
    const body = JSON.stringify({ kind: 'train', form: { p: '11', epochs: '10' } });
    for (const headers of [{}, { 'x-grokbench-token': 'wrong' }, { 'x-grokbench-token': TOKEN + 'x' }] as Record<string, string>[]) {
      for (const path of ['/api/jobs', '/api/jobs/abc/cancel', '/api/jobs/abc/resume']) {
        const r = await raw('POST', path, { 'content-type': 'application/json', ...headers }, body);
        assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}`);
        assert.match(JSON.parse(r.text).error, /^grokbench: .*token/);
      }
    }
    assert.deepEqual(s.jobs.list(), []);
  });

  test('path traversal in pages, static files, run ids and neuron ids gets 4xx and no file content', async () => {
    for (const path of [
      '/static/../../package.json', '/static/..%2F..%2Fpackage.json', '/static/%2e%2e/%2e%2e/etc/passwd',
      '/run/..%2F..%2Fetc%2Fpasswd', '/api/run/..%2F..%2Fgrokbench.sqlite', '/api/run/p11-s1-fixture%2F..%2F..%2Fx/maps?epoch=0',
      '/api/run/..%5C..%5Cx', '/../../../etc/passwd', '/api/run/p11-s1-fixture/neuron/..%2F1?epoch=0', '/%00',
    ]) {
      const r = await get(path);
      assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
      assert.match(JSON.parse(r.text).error, /^grokbench: /, path);
      assert.ok(!/root:|"name": "grokbench"|SQLite format/.test(r.text), path);
    }
  });

  test('a job form cannot name a file (paths are refused) nor a run outside the store', async () => {
    const h = { 'content-type': 'application/json', 'x-grokbench-token': TOKEN };
    for (const [form, msg] of [
      [{ kind: 'train', form: { initFrom: '/etc/passwd' } }, /file paths cannot be given/],
      [{ kind: 'train', form: { splitFile: '../../x.json' } }, /file paths cannot be given/],
      [{ kind: 'analyze', form: { runs: '../../etc' } }, /no run/],
      [{ kind: 'train', form: { store: '/tmp/elsewhere' } }, /unknown field store/],
      [{ kind: 'train', form: { p: '12' } }, /--p must be odd/],
      [{ kind: 'sweep', form: { primes: '11,x' } }, /--primes must be a comma-separated list/],
      [{ kind: 'rm', form: {} }, /unknown job kind/],
    ] as const) {
      const r = await raw('POST', '/api/jobs', h, JSON.stringify(form));
      assert.equal(r.status, 400, JSON.stringify(form));
      assert.match(JSON.parse(r.text).error, msg);
    }
    assert.deepEqual(s.jobs.list(), []);
  });

  test('bad requests get a 4xx with a one-line message and the server keeps serving', async () => {
    const h = { 'content-type': 'application/json', 'x-grokbench-token': TOKEN };
    assert.equal((await raw('POST', '/api/jobs', h, '{not json')).status, 400);
    assert.equal((await raw('POST', '/api/jobs', h, '[1,2]')).status, 400);
    assert.equal((await raw('POST', '/api/jobs', h, 'x'.repeat(70_000))).status, 413);
    assert.equal((await get('/api/run/p11-s1-fixture/maps?epoch=abc')).status, 400);
    assert.equal((await get('/api/run/p11-s1-fixture/maps?epoch=7')).status, 404);
    assert.equal((await get('/api/run/p11-s1-fixture/neuron/99999?epoch=0')).status, 400);
    assert.equal((await get('/api/compare')).status, 400);
    assert.equal((await raw('DELETE', '/api/jobs')).status, 405);
    assert.equal((await get('/api/runs', { host: 'evil.example:80' })).status, 403);
    const ok = await get('/api/runs');
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.text).length, 1);
  });

  test('a read without the token, or with a wrong one, gets 403 and no data; the query token sets a cookie that then suffices', async () => {
    const paths = ['/', '/jobs', '/run/p11-s1-fixture', '/compare?runs=p11-s1-fixture', '/app.js', '/static/vega.js',
      '/api/runs', '/api/runs?fields=basic', '/api/run/p11-s1-fixture', '/api/run/p11-s1-fixture/maps?epoch=300', '/api/jobs', '/api/settings', '/api/events'];
    for (const headers of [{}, { 'x-grokbench-token': 'wrong' }, { cookie: 'gb_token=' + TOKEN + 'x' }] as Record<string, string>[]) {
      for (const path of paths) {
        const r = await raw('GET', path, headers);
        assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}`);
        assert.match(JSON.parse(r.text).error, /^grokbench: .*token/);
        assert.ok(!r.text.includes('p11-s1-fixture"') && !r.text.includes('vega'), `${path}: no data`);
      }
      assert.equal((await raw('GET', '/?token=wrong', headers)).status, 403);
    }
    const first = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const u = new URL(s.url);
      request({ host: u.hostname, port: u.port, path: `/?token=${TOKEN}` }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, cookie: String(res.headers['set-cookie'] ?? '') });
      }).on('error', reject).end();
    });
    assert.equal(first.status, 200);
    assert.match(first.cookie, new RegExp(`gb_token=${TOKEN}; HttpOnly; SameSite=Strict`));
    const withCookie = await raw('GET', '/api/runs', { cookie: `gb_token=${TOKEN}` });
    assert.equal(withCookie.status, 200);
    assert.equal(JSON.parse(withCookie.text).length, 1);
    assert.equal((await raw('GET', '/favicon.ico')).status, 204, 'no 404 on every first load');
    const post = await raw('POST', '/api/jobs', { 'content-type': 'application/json', cookie: `gb_token=${TOKEN}` }, JSON.stringify({ kind: 'train', form: {} }));
    assert.equal(post.status, 403, 'a cookie alone never changes state');
  });

  test('the server listens on 127.0.0.1 only', async () => {
    assert.equal((s.server.address() as { address: string }).address, '127.0.0.1');
    const external = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
    for (const ip of external) {
      await assert.rejects(new Promise((resolve, reject) => {
        const req = request({ host: ip, port: new URL(s.url).port, path: '/api/runs', timeout: 3000 }, resolve);
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end();
      }), /ECONNREFUSED|timeout|EHOSTUNREACH/, ip);
    }
  });
});
