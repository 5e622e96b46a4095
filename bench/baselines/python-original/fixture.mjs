// Helpers shared by smoke.mjs and idle-rss.mjs: start a private redis-server and the baseline server (uvicorn
// on Debian's /usr/bin/python3) on free loopback ports, talk to Redis through redis-cli, open WebSocket clients.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const children = new Set();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until predicate() is truthy; returns false (does not throw) on timeout. */
export async function waitFor(predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

function start(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { child, pid: child.pid, log: () => log };
}

export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Stops every process started here (call it in a finally). */
export async function stopAll() {
  await Promise.all([...children].map(stop));
}

export function redisCli(port, ...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Connections to Redis, not counting the redis-cli asking. */
export function redisClients(port) {
  return redisCli(port, 'CLIENT', 'LIST')
    .split('\n')
    .filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list')).length;
}

export function numsub(port, channel) {
  return Number(redisCli(port, 'PUBSUB', 'NUMSUB', channel).split('\n')[1]);
}

export async function startRedis() {
  const port = await freePort();
  const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  if (!(await waitFor(() => redisCli(port, 'PING') === 'PONG'))) throw new Error(`redis-server did not start:\n${redis.log()}`);
  return { ...redis, port };
}

/** The baseline server; deflate=false adds --ws-per-message-deflate false (uvicorn's default is on). */
export async function startServer(redisPort, { deflate = true } = {}) {
  const port = await freePort();
  const args = ['-m', 'uvicorn', 'server:app', '--host', '127.0.0.1', '--port', String(port)];
  if (!deflate) args.push('--ws-per-message-deflate', 'false');
  const server = start(PYTHON, args, { cwd: HERE, env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${redisPort}` } });
  if (!(await waitFor(() => server.log().includes('Uvicorn running on')))) throw new Error(`server did not start:\n${server.log()}`);
  return { ...server, port, url: (symbol) => `ws://127.0.0.1:${port}/ws/${symbol}` };
}

/** A client offering permessage-deflate, as browsers do; frames are collected as { text, isBinary }. */
export function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: true });
    const frames = [];
    ws.on('message', (data, isBinary) => frames.push({ text: data.toString('utf8'), isBinary }));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

export function close(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', resolve);
    ws.close();
  });
}

/** VmRSS of a process in KiB, from /proc/PID/status. */
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
}
