#!/usr/bin/env node
/**
 * The `tickstream` command: one binary, a subcommand per process role.
 * @module
 */
import { runDownCommand } from './down-command.js';
import { runGatewayCommand } from './gateway-command.js';
import { runSimulateCommand } from './simulate-command.js';
import { runDemoCommand, runStartCommand } from './stack-command.js';
import { runStatusCommand } from './status-command.js';
import { runSuperviseCommand } from './supervise-command.js';
import { runUpCommand } from './up-command.js';
import { runWorkerCommand } from './worker-command.js';

const USAGE = `Usage: tickstream <command> [options]

Commands:
  worker     Stream Bybit v5 public data into the Redis bus
             --symbols BTCUSDT,ETHUSDT,SOLUSDT  --timeframes 1,5,15  --category linear|spot
             --testnet  --orderbook-depth 1|50|200|1000  --status-interval 60
  gateway    Serve the bus to WebSocket and REST clients under /api/v1/live
             --port 8000  --host 127.0.0.1  --redis-url redis://127.0.0.1:6379
  start      Worker + gateway in one process (in-memory bus unless REDIS_URL is set)
  demo       start, fed by the built-in simulator: everything works offline
  simulate   Run the Bybit v5-compatible simulator (WebSocket + REST)
             --port 9100  --host 127.0.0.1  --seed 1  --time-scale 1  --replay frames.jsonl
  up         Run the stack in the background: Redis (if none answers at a loopback REDIS_URL),
             worker(s) and gateways on PORT, PORT+1, ... under a supervisor that restarts them
             --gateways 1  --workers 1  --simulator  --run-dir .tickstream  --timeout 30
  status     One line per component of that stack; exit 0 only when all are up
             --run-dir .tickstream
  down       Stop that stack: gateways, workers, simulator, then Redis if up started it
             --run-dir .tickstream
  help       Show this text

Environment variables are listed in the README.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  worker: runWorkerCommand,
  gateway: runGatewayCommand,
  start: runStartCommand,
  demo: runDemoCommand,
  simulate: runSimulateCommand,
  up: runUpCommand,
  status: runStatusCommand,
  down: runDownCommand,
  // Internal: the detached process `up` starts; not in the usage text.
  supervise: runSuperviseCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const run = commands[command];
  if (!run) {
    process.stderr.write(`tickstream: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`tickstream: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
