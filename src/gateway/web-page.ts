/**
 * Serves the built live page (dist/web, from `npm run build`) at `/`:
 * index.html with `no-cache` (a deploy is picked up at once), hashed assets
 * with a one-year immutable cache. Without a build, `/` says how to make one
 * instead of a bare 404.
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The package root: the nearest folder above this module with a package.json (works from src/ and dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export function defaultWebRoot(): string {
  return join(packageRoot(), 'dist', 'web');
}

export function registerWebPage(app: FastifyInstance, webRoot: string): void {
  if (!existsSync(join(webRoot, 'index.html'))) {
    app.get('/', async (_request, reply) =>
      reply.code(503).type('text/plain').send('The live page is not built: run `npm run build`. The API is under /api/v1/live.'),
    );
    return;
  }
  void app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    index: ['index.html'],
    cacheControl: false,
    setHeaders(reply, path) {
      void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
