/**
 * `tickstream up`, `status` and `down` as an operator runs them, with real
 * processes: `up` starts redis-server itself (nothing answers at its private
 * port), the simulator, a worker and two gateways under a detached supervisor;
 * SIGKILLed processes are restarted and counted; `down` stops everything,
 * including the redis-server it started.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pingRedis } from '../../src/ops/probes.js';
import { waitFor } from '../helpers/wait-for.js';
import { createStackFixture, isAlive, type StackFixture } from './stack-fixture.js';

const STATUS_OK = /^\[OK\] /;

async function status(stack: StackFixture): Promise<{ code: number | null; lines: string[] }> {
  const run = stack.cli(['status']);
  const { code } = await run.exited(20_000);
  return { code, lines: run.output().trim().split('\n') };
}

/** Polls `status` (bounded) until it exits 0: a restarted process needs a moment to listen or register. */
async function statusUntilOk(stack: StackFixture, timeoutMs = 45_000): Promise<string[]> {
  let last: string[] = [];
  await waitFor(
    'status exits 0',
    async () => {
      const { code, lines } = await status(stack);
      last = lines;
      return code === 0;
    },
    timeoutMs,
    500,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last status:\n${last.join('\n')}`);
  });
  return last;
}

async function health(port: number): Promise<{ httpStatus: number; status: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/live/health`, { signal: AbortSignal.timeout(5_000) });
  return { httpStatus: response.status, status: ((await response.json()) as { status: string }).status };
}

/** Kills a component with SIGKILL and waits (bounded) until the supervisor has a new process running for it. */
async function killAndAwaitRestart(stack: StackFixture, name: string): Promise<{ before: number; after: number }> {
  const before = stack.pid(name);
  assert.ok(before !== undefined, `${name}.pid exists`);
  process.kill(before, 'SIGKILL');
  await waitFor(
    `${name} restarted`,
    () => {
      const component = stack.state()?.components.find((c) => c.name === name);
      const now = stack.pid(name);
      return component?.phase === 'running' && component.restarts === 1 && now !== undefined && now !== before;
    },
    30_000,
    100,
  );
  return { before, after: stack.pid(name)! };
}

describe('tickstream up / status / down', { timeout: 240_000 }, () => {
  let stack: StackFixture;
  let created: StackFixture | undefined;

  before(async () => {
    stack = created = await createStackFixture();
  });
  // Whatever a failed test left running: SIGKILL to the supervisor's group and every PID file's process.
  after(() => created?.destroy());

  it('up --gateways 2 --simulator starts redis-server, the simulator, a worker and two gateways, and exits 0', async () => {
    assert.equal((await pingRedis(stack.redisUrl, 1_000)).ok, false, 'nothing answers at the private Redis port yet');
    const startedAt = Date.now();
    const up = stack.cli(['up', '--gateways', '2', '--simulator']);
    const { code } = await up.exited(120_000);
    const output = up.output();
    assert.equal(code, 0, output);
    assert.ok(Date.now() - startedAt < 100_000);
    assert.match(output, /^tickstream up: stack running from .* \(supervisor PID \d+\)$/m);
    assert.match(output, new RegExp(`^\\[OK\\] Redis: Running \\(port ${stack.redisPort}, PID \\d+\\)$`, 'm'));
    assert.match(output, new RegExp(`^\\[OK\\] Gateway: Running \\(port ${stack.gatewayPort}, PID \\d+, (healthy|degraded)\\)$`, 'm'));
    assert.match(output, new RegExp(`^\\[OK\\] Gateway: Running \\(port ${stack.gatewayPort + 1}, PID \\d+, (healthy|degraded)\\)$`, 'm'));
    assert.equal((await pingRedis(stack.redisUrl, 1_000)).ok, true, 'up started redis-server');

    for (const name of ['supervisor', 'redis', 'simulator', 'worker-1', 'gateway-1', 'gateway-2']) {
      const pid = stack.pid(name);
      assert.ok(pid !== undefined && isAlive(pid), `${name}.pid names a live process`);
    }
    for (const name of ['supervisor', 'redis', 'simulator', 'worker-1', 'gateway-1', 'gateway-2']) {
      assert.ok(existsSync(join(stack.runDir, 'logs', `${name}.log`)), `logs/${name}.log`);
    }
    assert.match(readFileSync(join(stack.runDir, 'logs', 'gateway-1.log'), 'utf8'), /tickstream gateway listening on http:\/\/127\.0\.0\.1:\d+\/api\/v1\/live/);
    assert.match(readFileSync(join(stack.runDir, 'logs', 'worker-1.log'), 'utf8'), /tickstream worker: Bybit linear mainnet, symbols BTCUSDT/);

    const state = stack.state()!;
    assert.equal(state.redisManaged, true);
    assert.deepEqual(
      state.components.map((c) => [c.name, c.kind, c.port]),
      [['redis', 'redis', stack.redisPort], ['simulator', 'simulator', stack.simulatorPort], ['worker-1', 'worker', null], ['gateway-1', 'gateway', stack.gatewayPort], ['gateway-2', 'gateway', stack.gatewayPort + 1]],
    );
    assert.ok(state.components.every((c) => c.phase === 'running' && c.restarts === 0 && c.pid === stack.pid(c.name)));
  });

  it('status prints an [OK] line per component and exits 0; both gateways answer /health', async () => {
    const { code, lines } = await status(stack);
    assert.equal(code, 0, lines.join('\n'));
    assert.ok(lines.every((line) => STATUS_OK.test(line)), lines.join('\n'));
    assert.equal(lines.filter((line) => line.startsWith('[OK] Redis: Running')).length, 1);
    assert.equal(lines.filter((line) => line.startsWith('[OK] Worker: Running (PID ')).length, 1);
    assert.equal(lines.filter((line) => line.startsWith('[OK] Gateway: Running (port ')).length, 2);
    assert.ok(lines.some((line) => line.startsWith(`[OK] Simulator: Running (port ${stack.simulatorPort}`)));
    assert.ok(lines.some((line) => line.startsWith('[OK] Supervisor: Running (PID ')));
    // The worker reaches the simulator and the gateways see it live through Redis.
    await waitFor('both gateways healthy', async () => (await Promise.all([0, 1].map((i) => health(stack.gatewayPort + i)))).every((h) => h.httpStatus === 200 && h.status === 'healthy'), 30_000, 250);
  });

  it('up again with the same run directory says the stack is running and exits 1', async () => {
    const again = stack.cli(['up', '--gateways', '2', '--simulator']);
    const { code } = await again.exited(30_000);
    assert.equal(code, 1);
    assert.match(again.output(), /a stack is already running from .* \(supervisor PID \d+\)/);
    assert.match(again.output(), /^\[OK\] Worker: Running/m);
  });

  it('a SIGKILLed gateway is restarted: status shows a new PID and restarts: 1, the supervisor log the restart', async () => {
    const { before, after: restarted } = await killAndAwaitRestart(stack, 'gateway-1');
    const lines = await statusUntilOk(stack);
    assert.ok(lines.some((line) => new RegExp(`^\\[OK\\] Gateway: Running \\(port ${stack.gatewayPort}, PID ${restarted}, (healthy|degraded), restarts: 1\\)$`).test(line)), lines.join('\n'));
    assert.ok(!lines.some((line) => line.includes(`PID ${before}`)));
    const log = readFileSync(join(stack.runDir, 'logs', 'supervisor.log'), 'utf8');
    assert.match(log, /restarting gateway-1 after signal SIGKILL \(restart #1, in \d+ ms\)/);
    assert.equal(stack.state()!.components.find((c) => c.name === 'gateway-1')!.lastExit!.signal, 'SIGKILL');
  });

  it('a SIGKILLed worker is restarted likewise and publishes again', async () => {
    const { after: restarted } = await killAndAwaitRestart(stack, 'worker-1');
    const lines = await statusUntilOk(stack);
    // Registered on the bus; it streams BTCUSDT again once its predecessor's lease has lapsed (standby until then).
    assert.ok(lines.some((line) => new RegExp(`^\\[OK\\] Worker: Running \\(PID ${restarted}, (streams BTCUSDT|standby), link \\w+, restarts: 1\\)$`).test(line)), lines.join('\n'));
    assert.match(readFileSync(join(stack.runDir, 'logs', 'supervisor.log'), 'utf8'), /restarting worker-1 after signal SIGKILL \(restart #1, in \d+ ms\)/);
    await waitFor('gateway healthy again with the new worker', async () => (await health(stack.gatewayPort + 1)).status === 'healthy', 30_000, 250);
  });

  it('down stops every process, the redis-server it started too, removes the PID files and exits 0; status then fails', async () => {
    const pids = ['supervisor', 'redis', 'simulator', 'worker-1', 'gateway-1', 'gateway-2'].map((name) => [name, stack.pid(name)!] as const);
    const down = stack.cli(['down']);
    const { code } = await down.exited(90_000);
    assert.equal(code, 0, down.output());
    assert.match(down.output(), /^Stopped\.$/m);
    assert.match(down.output(), /stopped gateway-1 \(PID \d+\)[\s\S]*stopped worker-1[\s\S]*stopped simulator[\s\S]*stopped redis/);
    for (const [name, pid] of pids) {
      await waitFor(`${name} (PID ${pid}) gone`, () => !isAlive(pid), 10_000);
      assert.equal(stack.pid(name), undefined, `${name}.pid removed`);
    }
    assert.equal((await pingRedis(stack.redisUrl, 1_000)).ok, false, 'the redis-server up started is gone');
    assert.ok(stack.state()!.stoppedAt !== null);

    const { code: statusCode, lines } = await status(stack);
    assert.notEqual(statusCode, 0);
    assert.ok(lines.every((line) => line.startsWith('[FAIL] ')), lines.join('\n'));
    assert.ok(lines.includes(`[FAIL] Redis: Not answering at redis://127.0.0.1:${stack.redisPort} (no PID file ${join(stack.runDir, 'redis.pid')})`), lines.join('\n'));
    assert.ok(lines.some((line) => line.startsWith(`[FAIL] Gateway: Not answering (port ${stack.gatewayPort + 1}`)));

    const again = stack.cli(['down']);
    assert.equal((await again.exited(30_000)).code, 0);
    assert.match(again.output(), /no running stack in /);
  });
});
