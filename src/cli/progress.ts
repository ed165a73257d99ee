/**
 * Progress display for long work: on a TTY one live line rewritten in place (at most ~10 times a
 * second); otherwise plain lines at most every `plainEverySeconds`; nothing with --json.
 */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** How long work shows progress: live (redrawn in place) on a TTY, plain lines otherwise, nothing with --json. */
export type ProgressMode = 'live' | 'plain' | 'off';
export function progressMode(json: boolean | undefined, out: NodeJS.WriteStream = process.stderr): ProgressMode {
  return json ? 'off' : out.isTTY ? 'live' : 'plain';
}

export class ProgressLine {
  private lastDraw = 0;
  private drawn = false;
  constructor(private readonly mode: ProgressMode, private readonly plainEverySeconds = 10,
              private readonly out: NodeJS.WriteStream = process.stderr) {}

  static for(opts: { json?: boolean }, out: NodeJS.WriteStream = process.stderr): ProgressLine {
    return new ProgressLine(progressMode(opts.json, out), 10, out);
  }

  /** Show `text`; `force` draws even if one was drawn very recently. */
  update(text: string, force = false): void {
    if (this.mode === 'off') return;
    const now = performance.now();
    const every = this.mode === 'live' ? 100 : this.plainEverySeconds * 1000;
    if (!force && this.drawn && now - this.lastDraw < every) return;
    this.lastDraw = now;
    this.drawn = true;
    if (this.mode === 'live') {
      const width = Math.max(20, (this.out.columns ?? 120) - 1);
      this.out.write(`\r\x1b[2K${text.slice(0, width)}`);
    } else this.out.write(text + '\n');
  }

  /** End the live line (so following output starts on a fresh line). */
  done(): void {
    if (this.mode === 'live' && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
