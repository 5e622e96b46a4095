/**
 * One supervised process with real (tiny) child processes: an unrequested exit
 * is restarted with backoff, logged and counted; a process that ran long
 * enough restarts from the smallest delay; stop() cancels restarts and
 * escalates to SIGKILL for a child that ignores SIGTERM.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RunDir } from '../../src/ops/run-dir.js';
import type { Logger } from '../../src/shared/logger.js';
import type { ComponentSpec, RestartPolicy } from '../../src/ops/stack-plan.js';
import { SupervisedProcess } from '../../src/ops/supervised-process.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { delay, waitFor } from '../helpers/wait-for.js';

function capture(): { logger: Logger; lines: { msg: string; delayMs?: number }[] } {
  const lines: { msg: string; delayMs?: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function nodeSpec(name: string, script: string): ComponentSpec {
  return { name, kind: 'worker', command: process.execPath, args: ['-e', script], env: {} };
}

describe('SupervisedProcess', () => {
  it('restarts a crashing process with backoff, logging and counting each restart; stop() ends it for good', async (t) => {
    const defer = deferCleanups(t);
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-supervised-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const runDir = new RunDir(dir);
    runDir.ensure();
    const { logger, lines } = capture();
    const policy: RestartPolicy = { baseMs: 50, maxMs: 400, minMs: 10, healthyResetMs: 60_000 };
    const member = new SupervisedProcess(nodeSpec('crashy', 'console.log("hello from", process.pid); setTimeout(() => process.exit(3), 100)'), runDir, policy, logger, () => undefined);
    defer(() => member.stop(1_000));
    member.start();
    const firstPid = member.pid!;
    assert.equal(runDir.readPid('crashy'), firstPid);

    await waitFor('two restarts', () => member.snapshot().restarts >= 2, 10_000);
    const restarts = lines.filter((line) => line.msg.startsWith('restarting crashy'));
    assert.match(restarts[0]!.msg, /^restarting crashy after exit code 3 \(restart #1, in \d+ ms\)$/);
    assert.match(restarts[1]!.msg, /^restarting crashy after exit code 3 \(restart #2, in \d+ ms\)$/);
    assert.ok(restarts[1]!.delayMs! <= 100, 'second window is base * 2');
    assert.deepEqual(member.snapshot().lastExit && { code: member.snapshot().lastExit!.code, signal: member.snapshot().lastExit!.signal }, { code: 3, signal: null });
    const log = readFileSync(runDir.logFile('crashy'), 'utf8');
    assert.match(log, /tickstream supervisor: starting crashy\n/);
    assert.match(log, /tickstream supervisor: starting crashy \(restart #1\)\n/);
    assert.match(log, /hello from \d+/);

    await member.stop(1_000);
    const stoppedAt = member.snapshot();
    assert.equal(stoppedAt.phase, 'stopped');
    assert.equal(stoppedAt.pid, null);
    assert.equal(runDir.readPid('crashy'), undefined);
    await delay(600);
    assert.equal(member.snapshot().restarts, stoppedAt.restarts, 'no restart after stop()');
  });

  it('a process that ran for healthyResetMs restarts from the smallest delay window', async (t) => {
    const defer = deferCleanups(t);
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-supervised-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const runDir = new RunDir(dir);
    runDir.ensure();
    const { logger, lines } = capture();
    // Each run lasts longer than healthyResetMs, so the window never widens past baseMs.
    const policy: RestartPolicy = { baseMs: 40, maxMs: 10_000, minMs: 5, healthyResetMs: 100 };
    const member = new SupervisedProcess(nodeSpec('steady', 'setTimeout(() => process.exit(1), 250)'), runDir, policy, logger, () => undefined);
    defer(() => member.stop(1_000));
    member.start();
    await waitFor('four restarts', () => member.snapshot().restarts >= 4, 20_000);
    const delays = lines.filter((line) => line.msg.startsWith('restarting steady')).map((line) => line.delayMs!);
    assert.ok(delays.every((ms) => ms <= 40), `all delays within the first window: ${delays.join(', ')}`);
  });

  it('stop() sends SIGTERM, then SIGKILL after the grace to a child that ignores SIGTERM', async (t) => {
    const defer = deferCleanups(t);
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-supervised-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const runDir = new RunDir(dir);
    runDir.ensure();
    const { logger, lines } = capture();
    const member = new SupervisedProcess(
      nodeSpec('stubborn', 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("ready"); setInterval(() => undefined, 1000)'),
      runDir,
      { baseMs: 50, maxMs: 100, minMs: 10, healthyResetMs: 60_000 },
      logger,
      () => undefined,
    );
    defer(() => member.stop(500));
    member.start();
    await waitFor('child ready', () => readFileSync(runDir.logFile('stubborn'), 'utf8').includes('ready'), 10_000);
    const startedAt = Date.now();
    await member.stop(400);
    assert.ok(Date.now() - startedAt >= 400);
    assert.equal(member.snapshot().lastExit!.signal, 'SIGKILL');
    assert.equal(member.snapshot().restarts, 0);
    assert.ok(lines.some((line) => line.msg === 'stubborn still running 400 ms after SIGTERM: SIGKILL'));
    assert.match(readFileSync(runDir.logFile('stubborn'), 'utf8'), /ignoring SIGTERM/);
  });
});
