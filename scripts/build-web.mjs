#!/usr/bin/env node
// Bundles the live page (web/) into dist/web: hashed, minified assets under
// /assets (served with a one-year immutable cache) and an index.html that
// names them (served with no-cache, so a deploy is picked up at once).
// Everything the page needs is bundled: no CDN at run time.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const outDir = 'dist/web';
rmSync(outDir, { recursive: true, force: true });
mkdirSync(join(outDir, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: 'web/src/main.ts', style: 'web/src/styles.css' },
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  outdir: join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const js = outputs.find((name) => name.startsWith('app-') && name.endsWith('.js'));
const css = outputs.find((name) => name.startsWith('style-') && name.endsWith('.css'));
if (!js || !css) throw new Error(`bundle outputs missing: ${outputs.join(', ')}`);

const template = readFileSync('web/index.html', 'utf8');
for (const reference of ['/assets/app.js', '/assets/app.css']) {
  if (!template.includes(reference)) throw new Error(`web/index.html must reference ${reference}`);
}
writeFileSync(join(outDir, 'index.html'), template.replace('/assets/app.js', `/assets/${js}`).replace('/assets/app.css', `/assets/${css}`));
console.log(`web page built: ${outDir}/index.html, assets/${js}, assets/${css}`);
