import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import proxyAddr from 'proxy-addr';

/** Every environment variable the service reads (docker-compose.yml is checked against this list). */
export const CONFIG_ENV_VARS = [
  'NODE_ENV',
  'PORT',
  'KAFKA_BROKERS',
  'DATABASE_URL',
  'JWT_SECRET',
  'KAFKA_TOPIC_PREFIX',
  'KAFKA_PARTITIONS',
  'KAFKA_REPLICATION_FACTOR',
  'KAFKA_MIN_INSYNC_REPLICAS',
  'COMMAND_TIMEOUT_MS',
  'TOKEN_TTL_SECONDS',
  'INSTANCE_ID',
  'GRAPHQL_INTROSPECTION',
  'SEND_RATE_PER_SECOND',
  'SEND_RATE_BURST',
  'LOG_LEVEL',
  'METRICS_PORT',
  'TRUST_PROXY',
  'SIGN_UP_RATE_PER_ADDRESS',
  'LOGIN_RATE_PER_ADDRESS',
  'LOGIN_FAILURES_PER_ACCOUNT',
  'REQUEST_RATE_PER_ADDRESS',
  'SOCIAL_RATE_PER_MINUTE',
  'WS_SOCKETS_PER_USER',
  'WS_SOCKETS_PER_ADDRESS',
  'WS_UNREAD_TIMEOUT_SECONDS',
  'SUBSCRIPTION_SETUP_CONCURRENCY',
  'SUBSCRIPTION_SETUP_WAIT_MS',
  'KAFKA_EVENT_PARTITIONS',
  'KAFKA_REPLY_PARTITIONS',
  'GATEWAY_READS_SERVED_PARTITIONS_ONLY',
  'UPLOAD_MAX_BYTES',
  'UPLOAD_CONTENT_TYPES',
  'UPLOAD_TICKET_SECONDS',
  'UPLOAD_LINK_SECONDS',
  'UPLOAD_RATE_PER_MINUTE',
  'UPLOAD_BYTES_PER_HOUR',
  'UPLOAD_GATEWAY_BYTES_PER_SECOND',
  'PUBLIC_URL',
  'MODERATION_RULES',
  'MODERATION_FLOOD_MESSAGES',
  'MODERATION_FLOOD_WINDOW_SECONDS',
  'MODERATION_REPEAT_COUNT',
  'MODERATION_REPEAT_WINDOW_SECONDS',
  'MODERATION_WORDS_FILE',
  'MODERATION_REPORT_THRESHOLD',
  'MODERATION_REPORT_WINDOW_SECONDS',
  'MODERATION_MUTE_SECONDS',
] as const;

type Env = Partial<Record<(typeof CONFIG_ENV_VARS)[number], string>>;

export interface Topics {
  commands: string;
  messages: string;
  replies: string;
  deadLetter: string;
}

export interface Config {
  production: boolean;
  port: number;
  kafkaBrokers: string[];
  databaseUrl: string;
  jwtSecret: string;
  topics: Topics;
  /** Partitions of chat.commands (and the dead-letter topic) when created: at most this many workers share the work. */
  partitions: number;
  /**
   * Partitions of chat.messages and chat.replies when created. More of them,
   * less that a gateway fetches for others (docs/scaling.md): replies at
   * least the most gateways ever run, so that no two share one.
   */
  eventPartitions: number;
  replyPartitions: number;
  /**
   * A gateway reads only its own partition of chat.replies and the partitions
   * of chat.messages it has live subscribers for (and the sessions one); off:
   * it reads every partition of both (the "before" of the scale benchmark).
   */
  readServedPartitionsOnly: boolean;
  replicationFactor: number;
  minInsyncReplicas: number;
  /** How long a mutation waits for the worker's reply; also the command's lifetime. */
  commandTimeoutMs: number;
  tokenTtlSeconds: number;
  /** Names this process's own consumer groups (replies, live messages). */
  instanceId: string;
  /** Whether schema introspection is answered; on in development, off in production unless enabled. */
  introspection: boolean;
  /** Per-user sendChat token bucket in each gateway: refill per second and bucket size. perSecond 0 turns it off. */
  sendRate: { perSecond: number; burst: number };
  logLevel: LogLevel;
  /**
   * Where /metrics, /healthz and /readyz are served on a port of their own, whatever the roles; null: not.
   * Without it a gateway serves /metrics on PORT in development only (never on the public port in production).
   */
  metricsPort: number | null;
  /** Proxies whose X-Forwarded-For names the client (addresses, CIDRs, or loopback / linklocal / uniquelocal); empty: none. */
  trustProxy: string[];
  /** Per gateway: sign-ups per client address an hour, logins per address a minute, wrong passwords per account in 15 minutes; 0 turns one off. */
  authRate: { signUpsPerAddressPerHour: number; loginsPerAddressPerMinute: number; loginFailuresPerAccount: number };
  /** HTTP requests per client address a second, per gateway; 0 turns it off. */
  requestRatePerAddress: number;
  /** Per user, per gateway: addFriend, createRoom and inviteToRoom together, so many at once and then so many a minute; 0 turns it off. */
  socialRatePerMinute: number;
  /** graphql-ws sockets open at once on each gateway per user and per client address; 0 turns a cap off. */
  socketCaps: { perUser: number; perAddress: number };
  /** A socket with unsent bytes at every look for this long is closed (1013): its client stopped reading. 0: never. */
  wsUnreadTimeoutMs: number;
  /**
   * Subscription set-ups (membership read, history replay) reading PostgreSQL at once on each gateway, and how
   * long one waits for its turn: their share of the pool (10 connections), so queries keep the rest.
   */
  subscriptionReads: { concurrency: number; waitMs: number };
  /**
   * Files uploaded to the service (createUpload): the largest size, the content types allowed (lower case),
   * how long a ticket and a download link live, and per user, per gateway, how many tickets a minute and how
   * many declared bytes an hour (0 turns either off).
   */
  uploads: {
    maxBytes: number;
    contentTypes: string[];
    ticketSeconds: number;
    linkSeconds: number;
    perMinute: number;
    bytesPerHour: number;
    /** Upload bytes this gateway takes in a second, all PUTs together (0: no bound): the share of the machine uploads may take from chat. */
    gatewayBytesPerSecond: number;
  };
  /** The gateways' public origin (https://chat.example.com) for upload and download links; empty: links relative to the gateway. */
  publicUrl: string;
  /** The moderator's rules (MODERATION_*): see ModerationConfig. */
  moderation: ModerationConfig;
}

export const MODERATION_RULES = ['flood', 'repetition', 'words', 'reports'] as const;
export type ModerationRule = (typeof MODERATION_RULES)[number];

/** What the moderator watches for, and how long a mute lasts. */
export interface ModerationConfig {
  /** The rules that are on (MODERATION_RULES, a comma-separated list; empty: none). */
  rules: ReadonlySet<ModerationRule>;
  /** Fires on more than `messages` messages of one user within `windowSeconds`, across rooms and gateways. */
  flood: { messages: number; windowSeconds: number };
  /** Fires on the same text (case and spacing aside) from one user `count` times within `windowSeconds`. */
  repetition: { count: number; windowSeconds: number };
  /** Banned words or phrases, lower case, from MODERATION_WORDS_FILE (one a line, # comments); empty: none. */
  words: string[];
  /** Fires when `threshold` distinct members reported one user's messages within `windowSeconds`. */
  reports: { threshold: number; windowSeconds: number };
  /** The first mute; each further mute within a day doubles it. */
  muteSeconds: number;
}

/** createUpload's default size limit: 25 MiB. */
export const UPLOAD_MAX_BYTES_DEFAULT = 25 * 1024 * 1024;
/** 8 MiB/s (64 Mbit/s) per gateway: two loopback-speed uploads took 25-35 MiB/s here and made chat 2-3 times slower. */
export const UPLOAD_GATEWAY_BYTES_PER_SECOND_DEFAULT = 8 * 1024 * 1024;
/** A second's worth must hold the largest piece a request body is read in (64 KiB). */
export const UPLOAD_GATEWAY_BYTES_PER_SECOND_MIN = 64 * 1024;
/** What may be uploaded unless UPLOAD_CONTENT_TYPES says otherwise: common images, PDF, plain text, archives, bytes. */
export const UPLOAD_CONTENT_TYPES_DEFAULT = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'application/zip',
  'application/octet-stream',
];
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** The store's pool holds 10 connections (src/store/orm.ts): subscription reads may take at most this many. */
const SUBSCRIPTION_READS_MAX = 8;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEV_JWT_SECRET = 'development-only-secret-do-not-use-in-production';
/** Secrets that were ever published with this project (the source, docker-compose.yml): anyone can sign tokens with them. */
const PUBLISHED_JWT_SECRETS = new Set([DEV_JWT_SECRET, 'compose-dev-only-jwt-secret-do-not-use-in-production']);
/** A secret of fewer distinct characters ('a' 32 times, '0123' repeated) is guessable whatever its length. */
const JWT_SECRET_MIN_DISTINCT = 10;

/** NODE_ENV values the service knows; anything else ("prod", "Production ") is a mistake, not development. */
const MODES = ['development', 'test', 'production'] as const;
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/chat';
const DEFAULT_KAFKA_BROKER = '127.0.0.1:9092';

function topicNames(prefix: string): Topics {
  return {
    commands: `${prefix}.commands`,
    messages: `${prefix}.messages`,
    replies: `${prefix}.replies`,
    deadLetter: `${prefix}.dead-letter`,
  };
}

/**
 * Reads the whole configuration at once and reports every problem together,
 * so a bad deployment is fixed in one round instead of one variable at a time.
 */
export function loadConfig(env: Env = process.env as Env, warn: (msg: string) => void = console.warn): Config {
  const problems: string[] = [];
  // Unset means development; a value the service does not know is refused rather than read as development,
  // which would fall back to the published development secret.
  const mode = env.NODE_ENV || 'development';
  if (!(MODES as readonly string[]).includes(mode)) {
    problems.push(`NODE_ENV must be one of ${MODES.join(', ')} (or unset, for development), got "${env.NODE_ENV}"`);
  }
  const production = mode === 'production';

  const int = (name: keyof Env, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };

  const bool = (name: keyof Env, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    problems.push(`${name} must be "true" or "false", got "${raw}"`);
    return fallback;
  };

  const port = int('PORT', 4000, 0, 65535);
  const partitions = int('KAFKA_PARTITIONS', 6, 1, 1000);
  const eventPartitions = int('KAFKA_EVENT_PARTITIONS', 64, 1, 10_000);
  const replyPartitions = int('KAFKA_REPLY_PARTITIONS', 128, 1, 10_000);
  const readServedPartitionsOnly = bool('GATEWAY_READS_SERVED_PARTITIONS_ONLY', true);
  const replicationFactor = int('KAFKA_REPLICATION_FACTOR', 1, 1, 10);
  const minInsyncReplicas = int('KAFKA_MIN_INSYNC_REPLICAS', 1, 1, 10);
  if (minInsyncReplicas > replicationFactor) {
    problems.push(
      `KAFKA_MIN_INSYNC_REPLICAS (${minInsyncReplicas}) must not exceed KAFKA_REPLICATION_FACTOR (${replicationFactor})`,
    );
  }
  const commandTimeoutMs = int('COMMAND_TIMEOUT_MS', 5000, 100, 120_000);
  const tokenTtlSeconds = int('TOKEN_TTL_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600);

  const brokersRaw = env.KAFKA_BROKERS ?? (production ? '' : DEFAULT_KAFKA_BROKER);
  const kafkaBrokers = brokersRaw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (kafkaBrokers.length === 0) problems.push('KAFKA_BROKERS is required (comma-separated host:port list)');
  for (const broker of kafkaBrokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) problems.push(`KAFKA_BROKERS entry "${broker}" is not host:port`);
  }

  const databaseUrl = env.DATABASE_URL ?? (production ? '' : DEFAULT_DATABASE_URL);
  if (!databaseUrl) {
    problems.push('DATABASE_URL is required (postgres://user:password@host:port/database)');
  } else if (!/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must look like postgres://user:password@host:port/database');
  }

  let jwtSecret = env.JWT_SECRET ?? '';
  if (!jwtSecret) {
    if (production) problems.push('JWT_SECRET is required in production (at least 32 characters)');
    else {
      jwtSecret = DEV_JWT_SECRET;
      warn('JWT_SECRET is not set: using a development secret; never run like this in production');
    }
  } else if (jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  } else if (production && PUBLISHED_JWT_SECRETS.has(jwtSecret)) {
    problems.push('JWT_SECRET is a published development secret; set a random one of at least 32 characters');
  } else if (production && new Set(jwtSecret).size < JWT_SECRET_MIN_DISTINCT) {
    problems.push(`JWT_SECRET is too weak: it has fewer than ${JWT_SECRET_MIN_DISTINCT} distinct characters; set a random one`);
  }

  const prefix = env.KAFKA_TOPIC_PREFIX ?? 'chat';
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/.test(prefix)) {
    problems.push(`KAFKA_TOPIC_PREFIX "${prefix}" may hold only letters, digits, '.', '_' and '-'`);
  }

  const instanceId = env.INSTANCE_ID || randomUUID().slice(0, 8);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) {
    problems.push(`INSTANCE_ID "${instanceId}" may hold only letters, digits, '.', '_' and '-' (at most 64)`);
  }

  const introspection = bool('GRAPHQL_INTROSPECTION', !production);
  const sendRate = { perSecond: int('SEND_RATE_PER_SECOND', 10, 0, 1_000_000), burst: int('SEND_RATE_BURST', 20, 1, 1_000_000) };
  const metricsPort = env.METRICS_PORT ? int('METRICS_PORT', 0, 0, 65535) : null;
  const trustProxy = (env.TRUST_PROXY ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  try {
    proxyAddr.compile(trustProxy);
  } catch (err) {
    problems.push(`TRUST_PROXY must list addresses, CIDRs, loopback, linklocal or uniquelocal: ${(err as Error).message}`);
  }
  const authRate = {
    signUpsPerAddressPerHour: int('SIGN_UP_RATE_PER_ADDRESS', 20, 0, 1_000_000),
    loginsPerAddressPerMinute: int('LOGIN_RATE_PER_ADDRESS', 60, 0, 1_000_000),
    loginFailuresPerAccount: int('LOGIN_FAILURES_PER_ACCOUNT', 10, 0, 1_000_000),
  };
  const requestRatePerAddress = int('REQUEST_RATE_PER_ADDRESS', 50, 0, 1_000_000);
  const socialRatePerMinute = int('SOCIAL_RATE_PER_MINUTE', 20, 0, 1_000_000);
  const wsUnreadTimeoutMs = int('WS_UNREAD_TIMEOUT_SECONDS', 30, 0, 3600) * 1000;
  const socketCaps = { perUser: int('WS_SOCKETS_PER_USER', 20, 0, 100_000), perAddress: int('WS_SOCKETS_PER_ADDRESS', 100, 0, 1_000_000) };
  const subscriptionReads = {
    concurrency: int('SUBSCRIPTION_SETUP_CONCURRENCY', 4, 1, SUBSCRIPTION_READS_MAX),
    waitMs: int('SUBSCRIPTION_SETUP_WAIT_MS', 10_000, 0, 60_000),
  };
  const uploadTypes = env.UPLOAD_CONTENT_TYPES
    ? env.UPLOAD_CONTENT_TYPES.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean)
    : UPLOAD_CONTENT_TYPES_DEFAULT;
  for (const type of uploadTypes) {
    if (!CONTENT_TYPE.test(type)) problems.push(`UPLOAD_CONTENT_TYPES entry "${type}" is not a media type such as image/png`);
  }
  const uploads = {
    maxBytes: int('UPLOAD_MAX_BYTES', UPLOAD_MAX_BYTES_DEFAULT, 1, 2 ** 31 - 1),
    contentTypes: Object.freeze(uploadTypes) as string[],
    ticketSeconds: int('UPLOAD_TICKET_SECONDS', 600, 1, 24 * 3600),
    linkSeconds: int('UPLOAD_LINK_SECONDS', 300, 10, 3600),
    perMinute: int('UPLOAD_RATE_PER_MINUTE', 10, 0, 1_000_000),
    bytesPerHour: int('UPLOAD_BYTES_PER_HOUR', 1024 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    gatewayBytesPerSecond: int('UPLOAD_GATEWAY_BYTES_PER_SECOND', UPLOAD_GATEWAY_BYTES_PER_SECOND_DEFAULT, 0, Number.MAX_SAFE_INTEGER),
  };
  if (uploads.gatewayBytesPerSecond > 0 && uploads.gatewayBytesPerSecond < UPLOAD_GATEWAY_BYTES_PER_SECOND_MIN) {
    problems.push(`UPLOAD_GATEWAY_BYTES_PER_SECOND must be 0 (no bound) or at least ${UPLOAD_GATEWAY_BYTES_PER_SECOND_MIN}`);
  }
  const publicUrl = (env.PUBLIC_URL ?? '').trim().replace(/\/+$/, '');
  if (publicUrl && !/^https?:\/\/[^/?#\s]+$/.test(publicUrl)) {
    problems.push(`PUBLIC_URL must be an origin such as https://chat.example.com (no path), got "${env.PUBLIC_URL}"`);
  }
  const moderation = moderationConfig(env, int, problems);
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    production,
    port,
    kafkaBrokers,
    databaseUrl,
    jwtSecret,
    topics: Object.freeze(topicNames(prefix)),
    partitions,
    eventPartitions,
    replyPartitions,
    readServedPartitionsOnly,
    replicationFactor,
    minInsyncReplicas,
    commandTimeoutMs,
    tokenTtlSeconds,
    instanceId,
    introspection,
    sendRate: Object.freeze(sendRate),
    logLevel,
    metricsPort,
    trustProxy: Object.freeze(trustProxy) as string[],
    authRate: Object.freeze(authRate),
    requestRatePerAddress,
    socialRatePerMinute,
    socketCaps: Object.freeze(socketCaps),
    wsUnreadTimeoutMs,
    subscriptionReads: Object.freeze(subscriptionReads),
    uploads: Object.freeze(uploads),
    publicUrl,
    moderation: Object.freeze(moderation),
  });
}

function moderationConfig(env: Env, int: (name: keyof Env, fallback: number, min: number, max: number) => number, problems: string[]): ModerationConfig {
  const names = (env.MODERATION_RULES ?? MODERATION_RULES.join(',')).split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = names.filter((r) => !(MODERATION_RULES as readonly string[]).includes(r));
  if (unknown.length > 0) problems.push(`MODERATION_RULES may list only ${MODERATION_RULES.join(', ')}; got ${unknown.join(', ')}`);
  let words: string[] = [];
  if (env.MODERATION_WORDS_FILE) {
    try {
      words = fs
        .readFileSync(env.MODERATION_WORDS_FILE, 'utf8')
        .split('\n')
        .map((line) => line.replace(/#.*/, '').trim().toLowerCase().replace(/\s+/g, ' '))
        .filter(Boolean);
    } catch (err) {
      problems.push(`MODERATION_WORDS_FILE cannot be read: ${(err as Error).message}`);
    }
  }
  return {
    rules: new Set(names.filter((r): r is ModerationRule => (MODERATION_RULES as readonly string[]).includes(r))),
    flood: { messages: int('MODERATION_FLOOD_MESSAGES', 30, 1, 100_000), windowSeconds: int('MODERATION_FLOOD_WINDOW_SECONDS', 10, 1, 3600) },
    repetition: { count: int('MODERATION_REPEAT_COUNT', 5, 2, 1000), windowSeconds: int('MODERATION_REPEAT_WINDOW_SECONDS', 60, 1, 3600) },
    words,
    reports: { threshold: int('MODERATION_REPORT_THRESHOLD', 3, 1, 1000), windowSeconds: int('MODERATION_REPORT_WINDOW_SECONDS', 3600, 60, 7 * 86400) },
    muteSeconds: int('MODERATION_MUTE_SECONDS', 300, 1, 30 * 86400),
  };
}
