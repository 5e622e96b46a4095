import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REJECTION_CODES } from '../../src/ingest/rejection-codes.js';

describe('rejection code catalog', () => {
  it('is documented in the README, code for code', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Validation'), readme.indexOf('## Scripts'));
    const documented = new Set([...section.matchAll(/^\| `([A-Z_]+)` \| /gm)].map((match) => match[1]));
    for (const code of Object.keys(REJECTION_CODES)) assert.ok(documented.has(code), `${code} missing from the README`);
    for (const code of documented) assert.ok(code! in REJECTION_CODES, `README documents ${code}, which the worker never uses`);
  });
});
