import { createLogger, type LoggerOptions } from '../src/log';

/** A logger whose lines (pino's JSON) the test reads. */
function capturing(name: string, quiet: boolean, options: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = createLogger(name, quiet, { ...options, destination: { write: (line: string) => void lines.push(line) } });
  return { log, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('a line is one JSON object with an ISO time, the level by name, the logger name, the message and the fields', () => {
  const { log, parsed } = capturing('gateway', false);
  log.info('gateway listening', { url: 'http://127.0.0.1:4000/graphql' });
  const [line] = parsed();
  expect(line).toMatchObject({ level: 'info', name: 'gateway', msg: 'gateway listening', url: 'http://127.0.0.1:4000/graphql' });
  expect(new Date(line.time as string).toISOString()).toBe(line.time);
});

test('secrets are censored wherever a field of that name appears, up to two objects deep', () => {
  const { log, lines, parsed } = capturing('redaction', false);
  const secrets = {
    password: 'hunter2-top',
    token: 'eyJhbGciOiJIUzI1NiJ9.payload.signature-top',
    authorization: 'Bearer top-level-token',
    headers: { authorization: 'Bearer header-token', cookie: 'session=cookie-secret', 'content-type': 'application/json' },
    variables: { input: { username: 'alice', password: 'hunter2-nested' } },
    connectionParams: { authorization: 'Bearer socket-token' },
    config: { databaseUrl: 'postgres://chat:db-password@db:5432/chat', jwtSecret: 'jwt-secret-value', port: 4000 },
  };
  log.warn('a careless caller', secrets);

  for (const secret of ['hunter2', 'top-level-token', 'header-token', 'cookie-secret', 'socket-token', 'db-password', 'jwt-secret-value', 'signature-top']) {
    expect(lines.join('')).not.toContain(secret);
  }
  // What is not secret stays, so the line is still useful.
  expect(parsed()[0]).toMatchObject({
    password: '[redacted]',
    headers: { authorization: '[redacted]', cookie: '[redacted]', 'content-type': 'application/json' },
    variables: { input: { username: 'alice', password: '[redacted]' } },
    config: { databaseUrl: '[redacted]', jwtSecret: '[redacted]', port: 4000 },
  });
  // The caller's object is left as it was.
  expect(secrets.variables.input.password).toBe('hunter2-nested');
});

test('LOG_LEVEL sets the least severe level written; quiet (LOG_QUIET=1) keeps only warnings and errors', () => {
  const levels = (quiet: boolean, level: LoggerOptions['level']) => {
    const { log, parsed } = capturing('levels', quiet, { level });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    return parsed().map((line) => line.level);
  };
  expect(levels(false, 'debug')).toEqual(['debug', 'info', 'warn', 'error']);
  expect(levels(false, undefined)).toEqual(['info', 'warn', 'error']);
  expect(levels(false, 'error')).toEqual(['error']);
  expect(levels(true, 'debug')).toEqual(['warn', 'error']);
  expect(levels(true, 'error')).toEqual(['error']);
});
