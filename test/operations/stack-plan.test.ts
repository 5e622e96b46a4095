/**
 * The shape of a stack without starting it: components in start order with
 * their ports and environment, identical workers (the bus's leases split the
 * symbols), Redis started only for a loopback URL, stop order reversed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { parseRedisTarget, redisServerArgs } from '../../src/ops/redis-target.js';
import { RunDir } from '../../src/ops/run-dir.js';
import { buildPlan, stopPhases, type PlanOptions } from '../../src/ops/stack-plan.js';

const tickstream = { command: '/usr/bin/node', args: ['/pkg/dist/cli/main.js'] };

function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return { gateways: 1, workers: 1, simulatorPort: undefined, redis: parseRedisTarget(undefined), manageRedis: true, tickstream, redisWorkDir: '/run/redis', ...overrides };
}

describe('stack plan', () => {
  it('defaults: redis-server on 6379, one worker, one gateway on 8000, all pointed at the same REDIS_URL', () => {
    const plan = buildPlan(options(), {});
    assert.deepEqual(plan.components.map((c) => c.name), ['redis', 'worker-1', 'gateway-1']);
    const [redis, worker, gateway] = plan.components;
    assert.equal(redis!.command, 'redis-server');
    assert.deepEqual(redis!.args, ['--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', '/run/redis', '--logfile', '']);
    assert.deepEqual(worker!.args, ['/pkg/dist/cli/main.js', 'worker']);
    assert.deepEqual(worker!.env, { REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.deepEqual(gateway!.env, { REDIS_URL: 'redis://127.0.0.1:6379', PORT: '8000' });
    assert.equal(plan.redisManaged, true);
  });

  it('gateways on PORT, PORT+1, ...; an external Redis is not a component', () => {
    const plan = buildPlan(options({ gateways: 3, manageRedis: false }), { PORT: '9000', HOST: '0.0.0.0' });
    assert.deepEqual(plan.components.map((c) => [c.name, c.port, c.host]), [['worker-1', undefined, undefined], ['gateway-1', 9000, '0.0.0.0'], ['gateway-2', 9001, '0.0.0.0'], ['gateway-3', 9002, '0.0.0.0']]);
    assert.throws(() => buildPlan(options({ gateways: 2 }), { PORT: '65535' }), ConfigError);
    assert.throws(() => buildPlan(options(), { PORT: '0' }), /PORT: expected an integer from 1 to 65535/);
  });

  it('--simulator: a simulate component on its port, the worker pointed at it and marked simulated', () => {
    const plan = buildPlan(options({ simulatorPort: 9100 }), { SYMBOLS: 'BTCUSDT,ETHUSDT' });
    const simulator = plan.components.find((c) => c.kind === 'simulator')!;
    assert.deepEqual(simulator.args, ['/pkg/dist/cli/main.js', 'simulate', '--port', '9100', '--host', '127.0.0.1']);
    assert.equal(simulator.env.SIMULATOR_SYMBOLS, 'BTCUSDT,ETHUSDT');
    const worker = plan.components.find((c) => c.kind === 'worker')!;
    assert.equal(worker.env.BYBIT_WS_URL, 'ws://127.0.0.1:9100');
    assert.equal(worker.env.BYBIT_REST_URL, 'http://127.0.0.1:9100');
    assert.equal(worker.env.TICKSTREAM_SIMULATED, '1');
    assert.equal(worker.env.SYMBOLS, undefined, 'one worker keeps SYMBOLS as set');
    assert.deepEqual(plan.components.map((c) => c.kind), ['redis', 'simulator', 'worker', 'gateway']);
  });

  it('--workers N: identical workers (leases share the symbols); an operator-set WORKER_ID is made unique per worker', () => {
    const plan = buildPlan(options({ workers: 2 }), { SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT' });
    assert.deepEqual(plan.components.filter((c) => c.kind === 'worker').map((c) => [c.name, c.env]), [
      ['worker-1', { REDIS_URL: 'redis://127.0.0.1:6379' }],
      ['worker-2', { REDIS_URL: 'redis://127.0.0.1:6379' }],
    ]);
    const named = buildPlan(options({ workers: 2 }), { WORKER_ID: 'edge' });
    assert.deepEqual(named.components.filter((c) => c.kind === 'worker').map((c) => c.env.WORKER_ID), ['edge-1', 'edge-2']);
    assert.equal(buildPlan(options(), { WORKER_ID: 'edge' }).components.find((c) => c.kind === 'worker')!.env.WORKER_ID, undefined, 'one worker keeps it as set');
  });

  it('stops gateways, then workers, then the simulator, then Redis', () => {
    const plan = buildPlan(options({ gateways: 2, workers: 2, simulatorPort: 9100 }), {});
    assert.deepEqual(stopPhases(plan.components).map((phase) => phase.map((c) => c.name)), [['gateway-1', 'gateway-2'], ['worker-1', 'worker-2'], ['simulator'], ['redis']]);
  });
});

describe('REDIS_URL as a target', () => {
  it('reads host and port, knows loopback, hides the password', () => {
    const local = parseRedisTarget('redis://:s3cret@localhost:6390/2');
    assert.deepEqual([local.host, local.port, local.loopback, local.password, local.display], ['localhost', 6390, true, 's3cret', 'redis://:***@localhost:6390/2']);
    assert.ok(redisServerArgs(local, '/d').join(' ').includes('--bind 127.0.0.1 -::1 --port 6390'));
    assert.deepEqual(redisServerArgs(local, '/d').slice(-2), ['--requirepass', 's3cret']);
    assert.equal(parseRedisTarget('redis://[::1]:7000').host, '::1');
    assert.equal(parseRedisTarget('redis://[::1]:7000').loopback, true);
    assert.equal(parseRedisTarget('redis://127.0.0.2').port, 6379);
    assert.equal(parseRedisTarget('redis://10.0.0.5:6379').loopback, false);
    assert.equal(parseRedisTarget('rediss://alice:pw@cache.internal:6380').username, 'alice');
    assert.throws(() => parseRedisTarget('http://127.0.0.1:6379'), /REDIS_URL: expected a redis: or rediss: URL/);
  });
});

describe('run directory', () => {
  it('writes PID and JSON files atomically (no temporary file left) and owner-only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-rundir-'));
    try {
      const runDir = new RunDir(dir);
      runDir.ensure();
      runDir.writePid('worker-1', 1234);
      assert.equal(runDir.readPid('worker-1'), 1234);
      assert.equal(runDir.readPid('gateway-1'), undefined);
      runDir.writeJson(runDir.stateFile, { version: 1, n: 1 });
      runDir.writeJson(runDir.stateFile, { version: 1, n: 2 });
      assert.deepEqual(JSON.parse(readFileSync(runDir.stateFile, 'utf8')), { version: 1, n: 2 });
      assert.deepEqual(readdirSync(dir).sort(), ['logs', 'redis', 'state.json', 'worker-1.pid']);
      assert.equal(readFileSync(runDir.pidFile('worker-1'), 'utf8'), '1234\n');
      assert.equal(statSync(runDir.stateFile).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(runDir.logsDir).mode & 0o777, 0o700);
      runDir.removePid('worker-1');
      assert.equal(runDir.readPid('worker-1'), undefined);
      assert.equal(RunDir.resolve(undefined, { TICKSTREAM_RUN_DIR: dir }).path, dir);
      assert.equal(RunDir.resolve('/elsewhere', { TICKSTREAM_RUN_DIR: dir }).path, '/elsewhere');
      assert.equal(RunDir.resolve(undefined, {}).path, join(process.cwd(), '.tickstream'));
      assert.equal(new RunDir('.tickstream').display(join(process.cwd(), '.tickstream', 'worker-1.pid')), join('.tickstream', 'worker-1.pid'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
