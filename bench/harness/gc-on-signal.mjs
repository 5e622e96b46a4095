// Preloaded into the Node servers under test by idle-rss.ts (node --expose-gc --import this file):
// SIGUSR2 runs a full GC, so RSS is read "after GC" rather than wherever the heap happened to be.
// SIGUSR2, not SIGUSR1: Node keeps SIGUSR1 for the inspector.
// An .mjs loaded with --import rather than a .cjs with --require: eslint's type-aware setup lints .mjs
// without a TS project, while a .cjs under bench/ is a parse error for it.
process.on('SIGUSR2', () => globalThis.gc?.());
