#!/usr/bin/env node
// Offline stack for development and the README's run command: the tickstream
// simulator and the worker pointed at it, as two child processes, over the
// Redis at REDIS_URL (default redis://127.0.0.1:6379). Ctrl-C stops both.
import { spawn } from 'node:child_process';

const port = process.env.SIMULATOR_PORT ?? '9100';
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const children = [];

function start(args, env) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`tickstream ${args[0]} exited (${signal ?? code}); stopping`);
      stop(code ?? 1);
    }
  });
  return child;
}

let stopping = false;
function stop(code) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

start(['simulate', '--port', port], {});
// Give the simulator a moment to listen; the worker would retry anyway.
setTimeout(() => {
  start(['worker', ...process.argv.slice(2)], {
    BYBIT_WS_URL: `ws://127.0.0.1:${port}`,
    BYBIT_REST_URL: `http://127.0.0.1:${port}`,
    TICKSTREAM_SIMULATED: '1',
  });
}, 500);
