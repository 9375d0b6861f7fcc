/** One JSON line per event on stderr. Callers never pass passwords or tokens. */
export type Logger = {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
};

export function createLogger(name: string, quiet = process.env.LOG_QUIET === '1'): Logger {
  const write = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (quiet && level === 'info') return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, name, msg, ...fields })}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

export function errorFields(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { err: err.message, errName: err.name } : { err: String(err) };
}
