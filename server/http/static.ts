/**
 * The built SPA (Vite's `dist/`): files under the build directory with their MIME type and cache
 * policy (hashed `/assets/` are immutable), text files compressed with brotli or gzip when the
 * browser accepts it (cached per file until the file changes), `index.html` for any other
 * extension-less path (client-side routes), and a 503 page explaining how to build when there is
 * no build.
 */
import type { Context, Hono } from 'hono';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { jsonError } from './json-error';
import { isApiLike, safeDecode } from './request-rules';

/** Static text files are sent compressed (brotli, else gzip) when the browser accepts it. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg']);
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
/** Compressed bodies by encoding and file; rebuilt when the file changes (a new build). */
const compressedFiles = new Map<
  string,
  { mtimeMs: number; size: number; body: Promise<Uint8Array<ArrayBuffer>> }
>();
const MAX_COMPRESSED_FILES = 500;

function acceptedEncoding(header: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Set(
    (header ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase().split(';'))
      .filter(([, q]) => !q || !/^\s*q\s*=\s*0(\.0*)?\s*$/.test(q))
      .map(([name]) => name),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

function compressedFile(file: string, encoding: 'br' | 'gzip'): Promise<Uint8Array<ArrayBuffer>> {
  const key = `${encoding}:${file}`;
  const { mtimeMs, size } = statSync(file);
  const hit = compressedFiles.get(key);
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.body;
  const raw = readFileSync(file);
  // Brotli at quality 5: about gzip's speed, smaller output (the result is cached anyway).
  const body = (
    encoding === 'br'
      ? brotliAsync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } })
      : gzipAsync(raw)
  ).then((out) => new Uint8Array(out));
  if (compressedFiles.size >= MAX_COMPRESSED_FILES) compressedFiles.clear();
  compressedFiles.set(key, { mtimeMs, size, body });
  void body.catch(() => compressedFiles.delete(key));
  return body;
}

/** A file of dist/, compressed when that helps and the browser accepts it. */
async function staticFile(c: Context, file: string, type: string, cacheControl: string) {
  const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': cacheControl };
  if (!COMPRESSIBLE.has(extname(file).toLowerCase())) {
    return c.body(readFileSync(file), 200, headers);
  }
  headers['Vary'] = 'Accept-Encoding';
  const encoding = acceptedEncoding(c.req.header('accept-encoding'));
  if (encoding === null) return c.body(readFileSync(file), 200, headers);
  headers['Content-Encoding'] = encoding;
  return c.body(await compressedFile(file, encoding), 200, headers);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves `distDir` (the Vite build output; without it, or without its index.html, pages explain
 * how to build) for every GET no other route took.
 */
export function registerStaticRoutes(app: Hono, dir: string | undefined): void {
  const distDir = dir === undefined ? undefined : resolve(dir);

  app.get('*', async (c) => {
    const url = new URL(c.req.url);
    if (isApiLike(url)) return jsonError(c, 404, 'NOT_FOUND', 'no such route');
    const indexFile = distDir === undefined ? undefined : resolve(distDir, 'index.html');
    if (distDir === undefined || indexFile === undefined || !existsSync(indexFile)) {
      return c.text(
        'The console UI has not been built. Run `npm run build` (or `npm start`), then reload this page.\n',
        503,
      );
    }
    const decoded = safeDecode(url.pathname);
    if (decoded === null || decoded.includes('\0') || decoded.includes('\\')) {
      return c.text('Bad request\n', 400);
    }
    const file = resolve(distDir, `.${decoded}`);
    if (file.startsWith(distDir + sep) && existsSync(file) && statSync(file).isFile()) {
      const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
      const cache = decoded.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache';
      return staticFile(c, file, type, cache);
    }
    // A missing asset is a 404; any other path is a client-side route of the SPA.
    const last = decoded.split('/').pop() ?? '';
    if (last.includes('.')) return c.text('Not found\n', 404);
    return staticFile(c, indexFile, 'text/html; charset=utf-8', 'no-cache');
  });
}
