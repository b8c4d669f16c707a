import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A static asset of the UI, prebuilt at package build time and held in memory. */
interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const load = (file: string, type: string): Asset => {
  // Next to this module: src/assets/ under tests, dist/assets/ once built.
  const body = readFileSync(new URL(`./assets/${file}`, import.meta.url));
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, type, etag: `"${hash}"` };
};

const ASSETS: Record<string, Asset> = {
  'app.css': load('app.css', 'text/css; charset=utf-8'),
  'app.js': load('app.js', 'text/javascript; charset=utf-8'),
};

/** The URL suffix (`?v=<hash>`) that changes whenever the asset does (cache busting). */
export function assetVersion(name: string): string {
  return ASSETS[name]?.etag.slice(1, -1) ?? '';
}

/**
 * Serves `name` with a strong ETag and `Cache-Control: public, max-age=31536000, immutable`
 * (pages link it with a content hash, so a new version is a new URL); answers 304 to a
 * matching `If-None-Match`. Returns false for an unknown asset.
 */
export function serveAsset(req: IncomingMessage, res: ServerResponse, name: string): boolean {
  const asset = ASSETS[name];
  if (asset === undefined) return false;
  const headers = {
    'Content-Type': asset.type,
    'Cache-Control': 'public, max-age=31536000, immutable',
    ETag: asset.etag,
    'X-Content-Type-Options': 'nosniff',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(asset.body.length) });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}
