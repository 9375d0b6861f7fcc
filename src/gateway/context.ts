import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { unauthenticated, type UserError } from '../errors';
import type { CommandBus } from './command-bus';
import type { EventRouter } from '../live/router';
import type { ChatEvent } from '../contracts/records';
import type { Presence } from '../live/presence';
import type { UserStreams } from '../live/user-streams';
import type { TypingSignals } from './typing';
import type { Tokens, Viewer } from './auth';
import type { Passwords } from './passwords';
import type { RateLimiter } from './rate-limit';
import type { AuthThrottles } from './throttles';
import type { Uploads } from './uploads';

/** What the resolvers use: reads go to PostgreSQL, writes to the command bus. */
export interface Services {
  orm: MikroORM;
  bus: CommandBus;
  /** Live events: room streams for subscriptions. */
  live: EventRouter;
  tokens: Tokens;
  /** sendChat's per-user limit (config.sendRate), checked before the command is produced. */
  sendRate: RateLimiter;
  /** addFriend, createRoom and inviteToRoom per user (config.socialRatePerMinute). */
  socialRate: RateLimiter;
  /** Sign-up and login limits per address and account, checked before any password is hashed. */
  authThrottles: AuthThrottles;
  /** Password hashing, bounded so that it cannot take every core. */
  passwords: Passwords;
  /** Upload tickets and download links (createUpload, Attachment.url). */
  uploads: Uploads;
  /** myEvents: each user here read once, then kept up to date from events. */
  userStreams: UserStreams;
  /** Who is online, across gateways (heartbeats on the events topic). */
  presence: Presence;
  /** Produces an ephemeral event (typing) straight to the events topic: never PostgreSQL. */
  publish(event: ChatEvent): Promise<void>;
  /** setTyping's per-user rate and repeat suppression. */
  typing: TypingSignals;
}

export interface Context {
  viewer: Viewer | null;
  /** Why the presented token was refused; raised only by operations that need a viewer. */
  authError: UserError | null;
  /** A fork per operation: no identity map is shared between requests. */
  em: EntityManager;
  services: Services;
  /** performance.now() when the request came in, before its token was checked: its metrics count from here. */
  receivedAt: number;
  /** The client's address (behind trusted proxies, the one they forwarded). */
  clientAddress: string;
}

export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw ctx.authError ?? unauthenticated();
  return ctx.viewer;
}
