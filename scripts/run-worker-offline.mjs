#!/usr/bin/env node
// Offline stack for development and the README's run command: the tickstream
// simulator and the worker pointed at it, as two child processes, over the
// Redis at REDIS_URL (default redis://127.0.0.1:6379). Ctrl-C stops both:
// the worker first (so it can unsubscribe and say "stopped"), then the simulator.
// Children run in their own process groups so a terminal's Ctrl-C reaches them
// once, through this script, instead of twice.
import { spawn } from 'node:child_process';

const port = process.env.SIMULATOR_PORT ?? '9100';
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
let stopping = false;

function start(args, env) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', detached: true, env: { ...process.env, ...env } });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`tickstream ${args[0]} exited (${signal ?? code}); stopping`);
      void stop(code ?? 1);
    }
  });
  return child;
}

function terminate(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

let simulator;
let worker;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 10_000).unref();
  await terminate(worker);
  await terminate(simulator);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('exit', () => {
  for (const child of [worker, simulator]) if (child && child.exitCode === null) child.kill('SIGKILL');
});

simulator = start(['simulate', '--port', port], {});
// Give the simulator a moment to listen; the worker would retry anyway.
setTimeout(() => {
  if (stopping) return;
  worker = start(['worker', ...process.argv.slice(2)], {
    BYBIT_WS_URL: `ws://127.0.0.1:${port}`,
    BYBIT_REST_URL: `http://127.0.0.1:${port}`,
    TICKSTREAM_SIMULATED: '1',
  });
}, 500);
