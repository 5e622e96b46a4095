/**
 * BusWatch's decisions on a scripted bus state: an outage shorter than the
 * poll interval is still announced (the real-Redis version of this is in
 * redis-gateways.test.ts, where a quick restart used to go unannounced).
 */
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { BusConnectionState, MarketBus } from '../../src/bus/market-bus.js';
import { BusWatch } from '../../src/gateway/bus-watch.js';
import type { StatusMessage } from '../../src/schemas/index.js';

function scriptedBus(): { bus: MarketBus; set: (state: BusConnectionState, losses: number) => void } {
  let current: { state: BusConnectionState; losses: number } = { state: 'connected', losses: 0 };
  const bus = { connectionState: () => current.state, connectionLosses: () => current.losses } as Pick<MarketBus, 'connectionState' | 'connectionLosses'>;
  return { bus: bus as MarketBus, set: (state, losses) => (current = { state, losses }) };
}

describe('BusWatch', () => {
  it('announces disconnected then live for an outage it saw, and for one that came and went between two looks', (t) => {
    mock.timers.enable({ apis: ['setInterval'] });
    t.after(() => mock.timers.reset());
    const { bus, set } = scriptedBus();
    const announced: string[] = [];
    const watch = new BusWatch(bus, () => false, (status: StatusMessage) => announced.push(status.state));
    watch.start();
    t.after(() => watch.stop());

    mock.timers.tick(250);
    assert.deepEqual(announced, [], 'connected from the start is not news');
    set('disconnected', 1);
    mock.timers.tick(250);
    set('connected', 1);
    mock.timers.tick(250);
    assert.deepEqual(announced, ['disconnected', 'live'], 'an outage seen while it lasted');

    set('connected', 2); // lost and back within one poll interval
    mock.timers.tick(250);
    assert.deepEqual(announced, ['disconnected', 'live', 'disconnected', 'live'], 'a missed outage is still told');
    mock.timers.tick(1_000);
    assert.equal(announced.length, 4, 'nothing more while nothing changes');
  });
});
