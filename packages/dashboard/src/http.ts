import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '@mqkit/core';

/** The largest form body accepted (a selection of ids fits many times over). */
const MAX_BODY_BYTES = 1_000_000;

/** The request's path and query as the server received it (Express/middie strip mount paths from `req.url`). */
export function fullUrl(req: IncomingMessage): URL {
  const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return new URL(raw, 'http://dashboard.invalid');
}

/** True when the request came over TLS (directly or, per X-Forwarded-Proto, through a proxy). */
export function isSecure(req: IncomingMessage): boolean {
  return (
    (req.socket as { encrypted?: boolean }).encrypted === true ||
    req.headers['x-forwarded-proto'] === 'https'
  );
}

/**
 * The urlencoded form body. Uses `req.body` when a framework already parsed it (Express's
 * `urlencoded()`), else reads the stream. Throws {@link ValidationError} past 1 MB.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (typeof parsed === 'string') return new URLSearchParams(parsed);
  if (parsed !== null && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) form.append(key, String(v));
    }
    return form;
  }
  if (Buffer.isBuffer(parsed)) return new URLSearchParams(parsed.toString('utf8'));
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ValidationError('form body larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** Sends an HTML page (never cached: it shows live data). */
export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(html);
}

/** Redirects after a POST (303: the browser follows with GET). */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}
