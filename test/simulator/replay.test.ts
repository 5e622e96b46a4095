import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BybitSimulator } from '../../src/simulator/index.js';
import { SimClient, isTopic, sleep } from './sim-client.js';

const LINEAR_TRADE =
  '{"topic":"publicTrade.LTCUSDT","type":"snapshot","ts":1680688979985,"data":[{"T":1680688979983,"s":"LTCUSDT","S":"Buy","v":"0.4","p":"94.53","L":"ZeroMinusTick","i":"4c7b6bdc-b4a3-5716-9c7b-bbe01dc7072f","BT":false}]}';
const SPOT_TRADE =
  '{"topic":"publicTrade.BTCUSDC","ts":1680688980000,"type":"snapshot","data":[{"i":"2240000000041223438","T":1680688979998,"p":"28528.98","v":"0.00433","S":"Buy","s":"BTCUSDC","BT":false}]}';
const ACK = '{"success":true,"ret_msg":"","conn_id":"x","req_id":"","op":"subscribe"}';
const MODEL_TOPIC_FRAME =
  '{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"61873.90"},"cs":1,"ts":1715748763063}';

describe('simulator replay', () => {
  it('replays raw frames in order, byte for byte, to subscribers of their topic and category, looping', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-replay-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'frames.jsonl');
    writeFileSync(file, [LINEAR_TRADE, ACK, 'not json', SPOT_TRADE, MODEL_TOPIC_FRAME, ''].join('\n'));
    const sim = await BybitSimulator.start({ replayFile: file, replayIntervalMs: 20, replayLoop: true, tickIntervalMs: 20 });
    t.after(() => sim.close());
    const linear = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    const spot = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/spot`);
    t.after(() => {
      linear.close();
      spot.close();
    });
    // Symbols of the file become subscribable in their category.
    assert.equal((await linear.request({ op: 'subscribe', args: ['publicTrade.LTCUSDT', 'tickers.BTCUSDT', 'publicTrade.BTCUSDC'] })).success, false);
    assert.equal((await linear.request({ op: 'subscribe', args: ['publicTrade.LTCUSDT', 'tickers.BTCUSDT'] })).success, true);
    assert.equal((await spot.request({ op: 'subscribe', args: ['publicTrade.BTCUSDC', 'publicTrade.BTCUSDT'] })).success, true);
    const first = await linear.nextFrame(isTopic('publicTrade.LTCUSDT'));
    assert.equal(first.raw, LINEAR_TRADE);
    const ticker = await linear.nextFrame(isTopic('tickers.BTCUSDT'));
    assert.equal(ticker.raw, MODEL_TOPIC_FRAME, 'the model does not push its own ticker while replaying');
    const again = await linear.nextFrame(isTopic('publicTrade.LTCUSDT'));
    assert.equal(again.raw, LINEAR_TRADE, 'the file loops');
    assert.ok(again.atMs > ticker.atMs);
    assert.equal((await spot.nextFrame(isTopic('publicTrade.BTCUSDC'))).raw, SPOT_TRADE);
    await sleep(100);
    assert.equal(spot.frames.filter((f) => f.msg?.topic === 'publicTrade.BTCUSDT').length, 0, 'no model trades in replace mode');
    assert.ok(sim.state().replayFramesPlayed >= 4);
  });

  it('can replay on top of the model', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-replay-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'frames.jsonl');
    writeFileSync(file, `${LINEAR_TRADE}\n`);
    const sim = await BybitSimulator.start({ replayFile: file, replayIntervalMs: 20, replayLoop: true, replayWithModel: true, timeScale: 30, tickIntervalMs: 20 });
    t.after(() => sim.close());
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['publicTrade.LTCUSDT', 'publicTrade.BTCUSDT'] });
    await client.next(isTopic('publicTrade.BTCUSDT'));
    await client.next(isTopic('publicTrade.LTCUSDT'));
    await sleep(150);
    const ltc = client.frames.filter((f) => f.msg?.topic === 'publicTrade.LTCUSDT');
    assert.ok(ltc.length >= 1);
    assert.ok(ltc.every((f) => f.raw === LINEAR_TRADE), 'a symbol only the file knows is streamed by the file alone');
  });
});
