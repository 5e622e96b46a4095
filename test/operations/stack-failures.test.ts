/**
 * `up` refuses clearly and leaves nothing behind: a remote Redis that does not
 * answer is not started here, a taken gateway port fails before anything
 * starts, and a component that dies during start-up (a worker with an unknown
 * symbol) fails `up`, which stops what it started. `status` and `down` with no
 * stack say so.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '../../src/ops/probes.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { waitFor } from '../helpers/wait-for.js';
import { createStackFixture, isAlive } from './stack-fixture.js';

describe('tickstream up / status / down failures', { timeout: 180_000 }, () => {
  it('status with nothing started exits 1 saying so; down with nothing running exits 0', async (t) => {
    const defer = deferCleanups(t);
    const stack = await createStackFixture();
    defer(() => stack.destroy());
    const status = stack.cli(['status']);
    assert.equal((await status.exited(20_000)).code, 1);
    assert.match(status.output(), /^\[FAIL\] Stack: Not started \(no state file .*state\.json; tickstream up starts one\)$/m);
    const down = stack.cli(['down']);
    assert.equal((await down.exited(20_000)).code, 0);
    assert.match(down.output(), /tickstream down: no running stack in /);
  });

  it('a non-loopback REDIS_URL where nothing answers: up exits 1 without starting Redis', async (t) => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;
    if (!address) return t.skip('no non-loopback IPv4 address on this machine');
    const defer = deferCleanups(t);
    const stack = await createStackFixture();
    defer(() => stack.destroy());
    const up = stack.cli(['up'], { REDIS_URL: `redis://${address}:${stack.redisPort}` });
    assert.equal((await up.exited(30_000)).code, 1);
    assert.match(up.output(), /Redis does not answer at redis:\/\/[\d.]+:\d+ .*tickstream up starts Redis only for a loopback REDIS_URL/);
    assert.equal(existsSync(join(stack.runDir, 'supervisor.pid')), false);
    assert.equal(existsSync(join(stack.runDir, 'redis.pid')), false);
  });

  it('a gateway port already in use: up exits 1 naming it, before starting anything', async (t) => {
    const defer = deferCleanups(t);
    const stack = await createStackFixture();
    defer(() => stack.destroy());
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(stack.gatewayPort + 1, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => blocker.close(resolve)));
    const up = stack.cli(['up', '--gateways', '2']);
    assert.equal((await up.exited(30_000)).code, 1);
    assert.match(up.output(), new RegExp(`port ${stack.gatewayPort + 1} \\(gateway-2\\) is already in use`));
    assert.equal(existsSync(join(stack.runDir, 'supervisor.pid')), false);
    assert.equal((await pingRedis(stack.redisUrl, 1_000)).ok, false, 'no Redis started');
  });

  it('a SIGKILLed supervisor: status says so, down still stops the processes it left behind', async (t) => {
    const defer = deferCleanups(t);
    const stack = await createStackFixture();
    defer(() => stack.destroy());
    const up = stack.cli(['up', '--simulator']);
    assert.equal((await up.exited(120_000)).code, 0, up.output());
    const supervisor = stack.pid('supervisor')!;
    const orphans = ['redis', 'simulator', 'worker-1', 'gateway-1'].map((name) => [name, stack.pid(name)!] as const);
    process.kill(supervisor, 'SIGKILL');
    await waitFor('supervisor gone', () => !isAlive(supervisor), 10_000);

    const status = stack.cli(['status']);
    assert.equal((await status.exited(20_000)).code, 1);
    assert.match(status.output(), new RegExp(`^\\[FAIL\\] Supervisor: Not running \\(PID file .*supervisor\\.pid, process ${supervisor} gone; crashed processes will not be restarted\\)$`, 'm'));
    assert.match(status.output(), /^\[OK\] Worker: Running/m, 'its children run on');

    const down = stack.cli(['down']);
    assert.equal((await down.exited(90_000)).code, 0, down.output());
    assert.match(down.output(), /stopped gateway-1 \(PID \d+, left behind by the supervisor\)/);
    for (const [name, pid] of orphans) {
      await waitFor(`${name} gone`, () => !isAlive(pid), 10_000);
      assert.equal(stack.pid(name), undefined);
    }
    assert.equal((await pingRedis(stack.redisUrl, 1_000)).ok, false);
    assert.ok(stack.state()!.stoppedAt !== null, 'down recorded the stop the supervisor could not');
  });

  it('a worker that exits during start-up fails up, which reports its log and stops what it started', async (t) => {
    const defer = deferCleanups(t);
    const stack = await createStackFixture();
    defer(() => stack.destroy());
    // The simulator lists BTCUSDT only, so the worker's symbol check fails (exit 2).
    const up = stack.cli(['up', '--simulator'], { SYMBOLS: 'NOPEUSDT', SIMULATOR_SYMBOLS: 'BTCUSDT', SIMULATOR_SPOT_SYMBOLS: 'BTCUSDT' });
    const { code } = await up.exited(120_000);
    const output = up.output();
    assert.equal(code, 1, output);
    assert.match(output, /tickstream up: worker-1 exited during start-up \(exit code 2\); end of .*worker-1\.log:/, output);
    assert.match(output, /unknown or not trading on Bybit linear: NOPEUSDT/, output);
    assert.match(output, /tickstream up: stopping what was started/, output);
    const supervisor = stack.state()?.supervisor.pid;
    assert.ok(supervisor !== undefined);
    await waitFor('supervisor gone', () => !isAlive(supervisor), 10_000);
    assert.equal((await pingRedis(stack.redisUrl, 1_000)).ok, false, 'the redis-server it started is stopped');
    for (const name of ['supervisor', 'redis', 'simulator', 'worker-1', 'gateway-1']) assert.equal(stack.pid(name), undefined, `${name}.pid removed`);
  });
});
