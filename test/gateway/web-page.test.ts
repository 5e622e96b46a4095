/** The gateway serves the built page at `/` with the right cache headers, and nothing from elsewhere. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { defaultWebRoot } from '../../src/gateway/web-page.js';
import { startGatewayStack } from './helpers/gateway-stack.js';

describe('web page serving', () => {
  it('serves index.html with no-cache and hashed assets with a one-year immutable cache', async (t) => {
    assert.ok(existsSync(defaultWebRoot()), 'the page is not built: run npm run build');
    const stack = await startGatewayStack(t, { waitForData: false });
    const origin = new URL(stack.http).origin;
    const index = await fetch(`${origin}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2, `index.html names its script and stylesheet: ${assets.join(', ')}`);
    for (const asset of assets) {
      assert.match(asset, /-[A-Z0-9]{8}\.(js|css)$/, 'content-hashed name');
      const response = await fetch(`${origin}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable', asset);
    }
    // The only URL allowed is the SVG namespace (an identifier, never fetched).
    assert.ok(!/https?:\/\//.test(html.replaceAll('http://www.w3.org/2000/svg', '')), 'no external URL in the page');
    assert.equal((await fetch(`${origin}/api/v1/live/health`)).status, 200, 'the API is still reachable beside the page');
  });
});
