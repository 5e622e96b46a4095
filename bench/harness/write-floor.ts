/**
 * The machine's price of one delivery done the cheapest way: one small write()
 * per message per socket, no framing, no JSON, nothing to decide. A writer
 * process, placed like the server under test (CPU 0, first in priority),
 * keeps 1000 loopback TCP connections to a sink process that reads and
 * discards, and writes one 250-byte buffer to 50 of them every millisecond
 * (50k writes/s, about the Zipf row's delivery rate). Its CPU per write, in
 * user space and in the kernel, is the floor any unbatched server pays per
 * delivered message on this machine at this hour: rows are read against it.
 * On loopback the kernel part includes the receiving side's TCP work, done in
 * the sender's system call.
 *
 *   npx tsx bench/harness/write-floor.ts     (prints the figure as JSON)
 * @module
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { asFeed, asServer } from './servers.js';

export interface WriteFloor {
  readonly writes: number;
  /** CPU-seconds per 100k writes: user space, kernel. */
  readonly userSecondsPer100k: number;
  readonly kernelSecondsPer100k: number;
}

const CONNECTIONS = 1_000;
const WRITES_PER_MS = 50;
const PAYLOAD = Buffer.alloc(250, 0x61);

/** Runs the writer in its own process (placed as a server) and returns its figure. */
export function measureWriteFloor(seconds = 5): Promise<WriteFloor> {
  const [command, argv] = asServer(process.execPath, ['--import', 'tsx', 'bench/harness/write-floor.ts', 'writer', String(seconds)]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as WriteFloor) : reject(new Error(`write-floor writer exited ${code}`))));
  });
}

async function writer(seconds: number): Promise<WriteFloor> {
  // The sink is a process of its own at the feed's priority, as the clients' reads would be.
  const [command, argv] = asFeed(process.execPath, ['--import', 'tsx', 'bench/harness/write-floor.ts', 'sink']);
  const sink = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => sink.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    const sockets: Socket[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      await new Promise((resolve) => socket.once('connect', resolve));
      sockets.push(socket);
    }
    let next = 0;
    let writes = 0;
    const tick = () => {
      for (let k = 0; k < WRITES_PER_MS; k++) {
        sockets[next]!.write(PAYLOAD);
        next = (next + 1) % CONNECTIONS;
      }
      writes += WRITES_PER_MS;
    };
    // A second of warm-up, then the measured window.
    const timer = setInterval(tick, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = process.cpuUsage();
    const writesBefore = writes;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const used = process.cpuUsage(before);
    const measured = writes - writesBefore;
    clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    return { writes: measured, userSecondsPer100k: (used.user / 1e6 / measured) * 100_000, kernelSecondsPer100k: (used.system / 1e6 / measured) * 100_000 };
  } finally {
    sink.kill('SIGKILL');
  }
}

function sinkServer(): void {
  const server = createServer((socket) => socket.resume());
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
}

export function describeWriteFloor(floor: WriteFloor): string {
  return `one 250-byte write() per message, 1000 loopback sockets, 50k/s: ${(floor.userSecondsPer100k + floor.kernelSecondsPer100k).toFixed(2)} CPU-s per 100k writes (kernel ${floor.kernelSecondsPer100k.toFixed(2)}, user ${floor.userSecondsPer100k.toFixed(2)})`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode = 'measure', seconds = '5'] = process.argv.slice(2);
  if (mode === 'sink') sinkServer();
  else if (mode === 'writer') void writer(Number(seconds)).then((floor) => process.stdout.write(JSON.stringify(floor)));
  else void measureWriteFloor(Number(seconds)).then((floor) => process.stdout.write(`${describeWriteFloor(floor)}\n`));
}
