import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs a load generator script as its own process with `job` as its
 * argument; `onLine` sees each line it prints (the child is given to answer
 * on stdin or to kill it). Resolves with the last line: its result.
 */
export function runScript(script: string, job: unknown, onLine?: (line: string, child: ChildProcess) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=4096', script, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let last = '';
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        last = line;
        onLine?.(line, child);
      }
    });
    child.once('exit', (code, signal) =>
      code === 0 || signal === 'SIGKILL' ? resolve(last) : reject(new Error(`${script} exited with ${code}`)),
    );
  });
}
