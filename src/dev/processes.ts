import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The service's roles as real processes (`node dist/src/main.js gateway|worker|moderator`,
 * so `npm run build` first), for the fault suite and the benchmark: they can
 * be crashed, stopped and measured like deployed ones.
 */

/** The built entry point, whether this file runs from src/ (jest) or from dist/src/. */
function builtMain(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'src', 'main.js');
}
const MAIN = builtMain();
const START_TIMEOUT_MS = 60_000;
let logDir: string | null = null;

export type ProcessRole = 'gateway' | 'worker' | 'moderator';

export class ServiceProcess {
  /** The gateway's GraphQL URL (empty for a worker). */
  url = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly role: ProcessRole,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** kill -9: no drain, no offset commit, no group leave. */
  async crash(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as an orchestrator stops it: it drains, then exits (killed if it takes over 20 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resident memory in MB, from /proc (Linux). */
  rssMB(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  }
}

/** Starts one role with `env` added to this process's environment; resolves once it logged that it started. */
export async function startProcess(role: ProcessRole, env: Record<string, string>): Promise<ServiceProcess> {
  logDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chat-procs-'));
  const logFile = path.join(logDir, `${role}-${randomUUID().slice(0, 8)}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [MAIN, role], {
    // Info lines are how it says it started (and where the gateway listens).
    env: { ...process.env, PORT: '0', ...env, LOG_QUIET: '0' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const proc = new ServiceProcess(role, child, logFile);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n');
    if (lines.some((l) => l.includes('"msg":"started"'))) {
      const listening = lines.find((l) => l.includes('"msg":"gateway listening"'));
      if (listening) proc.url = (JSON.parse(listening) as { url: string }).url;
      return proc;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${role} did not start (exit code ${child.exitCode}); log ${logFile}:\n${lines.slice(-20).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
