/**
 * Runs the `tickstream` CLI as a real child process: the built binary when
 * `npm run build` has run (as `npm test` does), else the TypeScript source.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const BUILT = 'dist/cli/main.js';

export interface CliProcess {
  readonly child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const entry = existsSync(BUILT) ? [BUILT] : ['--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(process.execPath, [...entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    output: () => text,
    async waitForOutput(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(text);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${text.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async exited(timeoutMs = 10_000) {
      const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`process still running after ${timeoutMs} ms:\n${text.slice(-2000)}`)), timeoutMs).unref());
      return Promise.race([exit, timer]);
    },
  };
}

export function killOnExit(process: CliProcess): () => Promise<void> {
  return async () => {
    if (process.child.exitCode === null && process.child.signalCode === null) {
      process.child.kill('SIGKILL');
      await process.exited().catch(() => undefined);
    }
  };
}

/** `tickstream simulate` on a free port; resolves once it listens, with the URLs it printed. */
export async function startSimulatorProcess(args: string[] = []): Promise<{ process: CliProcess; wsUrl: string; restUrl: string }> {
  const simulator = runCli(['simulate', '--port', '0', ...args], { LOG_LEVEL: 'info' });
  const [, wsUrl, restUrl] = await simulator.waitForOutput(/BYBIT_WS_URL=(ws:\/\/\S+) BYBIT_REST_URL=(http:\/\/\S+?)"/);
  return { process: simulator, wsUrl: wsUrl!, restUrl: restUrl! };
}
