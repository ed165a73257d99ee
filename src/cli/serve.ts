/** `grokbench serve [--store DIR] [--port 8060] [--host 127.0.0.1]`: the dashboard (server/app.ts). */
import type { Command } from 'commander';
import { badInput } from '../core/errors.js';
import { type GlobalOpts, intArg, storeDirOf, withCommon } from './common.js';

interface ServeOpts extends GlobalOpts { port: number; host: string; lowFreqs: number }

export function register(program: Command): void {
  withCommon(
    program.command('serve')
      .description('the dashboard: runs, neuron explorer, compare, live training and jobs, at http://127.0.0.1:8060')
      .option('--port <port>', 'port (0: any free port)', intArg('--port', 0), 8060)
      .option('--host <addr>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
      .option('--low-freqs <K>', 'K: coarseness counts frequencies 1..K', intArg('--low-freqs', 1), 3),
  ).action(async (o: ServeOpts) => {
    if (o.port > 65535) throw badInput(`--port must be at most 65535, got ${o.port}`);
    // '' would mean every address of the machine: say so explicitly (0.0.0.0 or ::) if that is meant.
    if (o.host.trim() === '' || /[\s/]/.test(o.host)) throw badInput(`--host must be an address or host name of this machine, got '${o.host}'`);
    let s;
    try {
      const { startServer } = await import('../server/app.js'); // the views and Vega load only for serve
      s = await startServer({ storeDir: storeDirOf(o), port: o.port, host: o.host, lowFreqs: o.lowFreqs });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw badInput(`port ${o.port} on ${o.host} is in use (give --port)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EINVAL') throw badInput(`--host ${o.host} is not an address of this machine`);
      if (code === 'EACCES') throw badInput(`not allowed to listen on port ${o.port} of ${o.host} (give a --port above 1023)`);
      throw err;
    }
    const line = o.json ? JSON.stringify({ url: s.url, token: s.token, open: s.openUrl }) : `grokbench serve: ${s.openUrl}`;
    process.stdout.write(line + '\n');
    await new Promise<void>((resolve) => {
      const stop = (): void => { void s.close().then(resolve); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
