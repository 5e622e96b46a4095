import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLIENT_ERROR_CODES, CLOSE_CODES } from '../../src/gateway/client-errors.js';

describe('docs/client-protocol.md', () => {
  const doc = readFileSync('docs/client-protocol.md', 'utf8');
  it('documents every client error code, and only those', () => {
    const section = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## Close codes'));
    const documented = new Set([...section.matchAll(/^\| `([A-Z_]+)` \| /gm)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), Object.keys(CLIENT_ERROR_CODES).sort());
  });
  it('documents every close code', () => {
    const section = doc.slice(doc.indexOf('## Close codes'), doc.indexOf('## Limits'));
    for (const code of Object.values(CLOSE_CODES)) assert.match(section, new RegExp(`^\\| ${code} \\|`, 'm'), `close code ${code}`);
  });
});
