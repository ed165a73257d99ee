/**
 * HTTP pieces of the dashboard's server that know nothing of runs: the error with a status, JSON
 * encoding, the request body limit, the token comparison and HTML escaping.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A request that cannot be served: its status and a one-line message. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** Run ids as the store makes them; anything else in a URL is no run. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The largest request body accepted (a job form). */
export const MAX_BODY_BYTES = 64 * 1024;

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON with typed arrays as plain arrays and NaN as null. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>, (n) => (Number.isFinite(n) ? n : null)) : typeof x === 'number' && !Number.isFinite(x) ? null : x));
}

/** Whether t is the token, compared in constant time. */
export function sameToken(t: string | null | undefined, token: string): boolean {
  return typeof t === 'string' && t.length === token.length && timingSafeEqual(Buffer.from(t), Buffer.from(token));
}

/** The request body as text; over MAX_BODY_BYTES is a 413 (the rest is drained, not kept). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { reject(new HttpError(413, 'request body over 64 KiB')); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A request body that must be a JSON object. */
export function parseJsonObject(body: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(body); } catch { throw new HttpError(400, 'the request body must be JSON'); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}
