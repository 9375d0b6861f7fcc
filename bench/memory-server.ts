/**
 * The GraphQL layer's ceiling: the chat API of schema/schema.graphql served
 * by the same stack as the real gateway (Apollo Server over express 5, and
 * graphql-ws on the same port and path), but with every write and read kept
 * in memory: no Kafka, no PostgreSQL, no password hashing, no JWTs. The
 * benchmark reports the real service as a ratio to this.
 *
 *   node dist/bench/memory-server.js          # PORT=4100 unless set
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { MessageRecord, PublicUser } from '../src/contracts/records';
import { UserError, badInput, conflict, forbidden, notFound, unauthenticated } from '../src/errors';
import { toClientError } from '../src/gateway/errors';
import { DateTimeScalar } from '../src/gateway/scalars';
import { MessageConnectionType, MessageType, ReactionType, RoomType, UserType } from '../src/gateway/types';
import { decideAddReaction, decideRemoveReaction, newMessageFields, type MessageChangeState } from '../src/commands/message-changes';
import { checkEmoji } from '../src/message-rules';
import { createLogger } from '../src/log';
import { checkAfterSeq, checkId, checkMemberIds, checkPageArgs, checkRoomName, checkSendChat, checkSignUp } from '../src/rules';

const GRAPHQL_PATH = '/graphql';
/** Like the real default (TOKEN_TTL_SECONDS). */
const TOKEN_TTL_MS = 7 * 24 * 3600 * 1000;

export interface MemoryServer {
  /** http://127.0.0.1:<port>/graphql (ws:// on the same path). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Users and messages are kept as the service's records (contracts/records.ts)
 * and answered through its GraphQL types (gateway/types.ts), checked by its
 * rules (rules.ts): only where the data lives differs.
 */
interface RoomState {
  id: string;
  name: string;
  createdAt: string;
  memberIds: Set<string>;
  /** The room's log: the message with seq s is messages[s - 1], so seqs have no gaps. */
  messages: MessageRecord[];
  byClientMessageId: Map<string, MessageRecord>;
}

interface Context {
  viewer: PublicUser | null;
  /** Why the presented token was refused; raised only by operations that need a viewer. */
  authError: UserError | null;
}

const notServed = () => {
  throw new Error('not served by the in-memory ceiling server');
};

/** schema/ sits at the repo root: one level above bench/, two above dist/bench/. */
function readSdl(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'schema', 'schema.graphql');
    if (existsSync(file)) return readFileSync(file, 'utf8');
    if (dirname(dir) === dir) throw new Error(`schema/schema.graphql not found above ${__dirname}`);
  }
}

/** A minimal in-process pub/sub (no library): listeners run synchronously, in publish order. */
class PubSub<T> {
  private readonly channels = new Map<string, Set<(payload: T) => void>>();

  publish(channel: string, payload: T): void {
    for (const listener of this.channels.get(channel) ?? []) listener(payload);
  }

  subscribe(channel: string, listener: (payload: T) => void): () => void {
    const listeners = this.channels.get(channel) ?? new Set();
    listeners.add(listener);
    this.channels.set(channel, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.channels.delete(channel);
    };
  }
}

/**
 * One subscriber's roomMessages: it reads the room's log from a cursor, so the
 * stored messages and the live ones are one sequence, in order, each once; a
 * publish only wakes a next() that is waiting at the end of the log.
 */
class RoomStream implements AsyncIterableIterator<MessageRecord> {
  private waiter: ((result: IteratorResult<MessageRecord>) => void) | null = null;
  private done = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly room: RoomState,
    /** seq of the next message to hand out. */
    private nextSeq: number,
    pubsub: PubSub<MessageRecord>,
  ) {
    this.unsubscribe = pubsub.subscribe(room.id, (message) => {
      if (this.waiter && message.seq === this.nextSeq) {
        const resolve = this.waiter;
        this.waiter = null;
        this.nextSeq++;
        resolve({ value: message, done: false });
      }
    });
  }

  next(): Promise<IteratorResult<MessageRecord>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    const stored = this.room.messages[this.nextSeq - 1];
    if (stored) {
      this.nextSeq++;
      return Promise.resolve({ value: stored, done: false });
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The subscriber went away (or the server is stopping). */
  return(): Promise<IteratorResult<MessageRecord>> {
    if (!this.done) {
      this.done = true;
      this.unsubscribe();
      this.waiter?.({ value: undefined, done: true });
      this.waiter = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MessageRecord> {
    return this;
  }
}

/** All state of one server: users, tokens, friendships and rooms in Maps. */
class Store {
  readonly users = new Map<string, PublicUser>();
  /** Apart from the users, so that only a user's own view of themself can carry it. */
  readonly emails = new Map<string, string | null>();
  readonly usernames = new Set<string>();
  readonly tokens = new Map<string, { userId: string; expiresAt: Date }>();
  readonly friends = new Map<string, Set<string>>();
  readonly rooms = new Map<string, RoomState>();
  readonly pubsub = new PubSub<MessageRecord>();
  /** Every message by id, for changes of a message (the room's log holds the same records). */
  readonly messages = new Map<string, MessageRecord>();

  /** addReaction and removeReaction as the worker decides them (one emoji per user, at most 20 per message), kept in memory. */
  react(viewer: PublicUser, messageId: string, emoji: string, add: boolean): MessageRecord {
    const message = this.messages.get(checkId('messageId', messageId));
    if (!message) throw notFound('no such message');
    const room = this.memberRoom(viewer, message.roomId, 'react in');
    const state: MessageChangeState = { message, isMember: true, now: new Date().toISOString() };
    const command = { v: 1, id: randomUUID(), actorId: viewer.id, deadline: 0, payload: { roomId: room.id, messageId: message.id, emoji: checkEmoji(emoji) } };
    const decision = add
      ? decideAddReaction({ ...command, type: 'AddReaction' }, state)
      : decideRemoveReaction({ ...command, type: 'RemoveReaction' }, state);
    if (decision instanceof UserError) throw decision;
    const next = decision.result.message;
    this.messages.set(next.id, next);
    room.messages[next.seq - 1] = next;
    return next;
  }

  /** The viewer a `Bearer <token>` names; UNAUTHENTICATED for anything else. */
  authenticate(authorization: string): PublicUser {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('expected an Authorization header of the form "Bearer <token>"');
    const token = this.tokens.get(match[1]);
    const user = token && token.expiresAt.getTime() > Date.now() ? this.users.get(token.userId) : undefined;
    if (!user) throw unauthenticated('invalid token');
    return user;
  }

  httpContext(authorization: string | undefined): Context {
    if (!authorization) return { viewer: null, authError: null };
    try {
      return { viewer: this.authenticate(authorization), authError: null };
    } catch (err) {
      return { viewer: null, authError: err as UserError };
    }
  }

  /** NOT_FOUND for an unknown room, FORBIDDEN for a non-member, like the real requireMembership. */
  memberRoom(viewer: PublicUser, roomId: string, verb = 'read'): RoomState {
    const room = this.rooms.get(roomId);
    if (!room) throw notFound('no such room');
    if (!room.memberIds.has(viewer.id)) throw forbidden(`only members can ${verb} this room`);
    return room;
  }
}

function requireViewer(ctx: Context): PublicUser {
  if (!ctx.viewer) throw ctx.authError ?? unauthenticated();
  return ctx.viewer;
}

/** No bookmark operation is served, so nothing is ever bookmarked. */
const unbookmarked = (message: MessageRecord) => MessageType.from({ message, bookmarked: false });

function buildSchema(store: Store): GraphQLSchema {
  type Args = Record<string, any>;
  /** A user as they see themself: with their email. */
  const self = (user: PublicUser) => UserType.from({ ...user, email: store.emails.get(user.id) ?? null });
  const viewedRoom = ({ id, name, createdAt, memberIds, messages }: RoomState, viewer: PublicUser) =>
    RoomType.from({
      id,
      name,
      createdAt,
      members: [...memberIds].map((memberId) => store.users.get(memberId)!),
      lastSeq: messages.length,
      lastMessage: messages.length > 0 ? { message: messages[messages.length - 1], bookmarked: false } : null,
      // markRead is not served, so every read marker stays at 0.
      lastReadSeq: 0,
      unreadCount: messages.filter((m) => m.sender?.id !== viewer.id).length,
    });
  const schema = makeExecutableSchema<Context>({
    typeDefs: readSdl(),
    resolvers: {
      DateTime: DateTimeScalar,
      Query: {
        me: (_: unknown, _args: Args, ctx: Context) => self(requireViewer(ctx)),
        room: (_: unknown, { id }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const roomId = checkId('id', id);
          return store.rooms.has(roomId) ? viewedRoom(store.memberRoom(viewer, roomId), viewer) : null;
        },
        messages: (_: unknown, { roomId, first, after, last, before }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const range = checkPageArgs({ first, after, last, before });
          const { messages } = store.memberRoom(viewer, checkId('roomId', roomId));
          // Seqs are 1..lastSeq, so the page is a slice of the log: afterSeq < seq < beforeSeq, from the chosen end.
          let start = range.afterSeq ?? 0;
          let end = Math.max(start, Math.min((range.beforeSeq ?? Infinity) - 1, messages.length));
          if (range.fromEnd) start = Math.max(start, end - range.limit);
          else end = Math.min(end, start + range.limit);
          const page = messages.slice(start, end).map((message) => ({ message, bookmarked: false }));
          return MessageConnectionType.from(page, messages.length, range);
        },
      },
      Mutation: {
        signUp: (_: unknown, { input }: Args) => {
          const { username, displayName, email } = checkSignUp(input);
          if (store.usernames.has(username)) throw conflict(`username "${username}" is taken`);
          const user: PublicUser = {
            id: randomUUID(),
            username,
            displayName,
            statusMessage: '',
            createdAt: new Date().toISOString(),
            lastLoginAt: null,
            lastLogoutAt: null,
          };
          store.users.set(user.id, user);
          store.emails.set(user.id, email);
          store.usernames.add(username);
          // An opaque random token instead of a signed JWT: the ceiling skips crypto on purpose.
          const token = randomBytes(24).toString('base64url');
          const expiresAt = new Date(Date.now() + TOKEN_TTL_MS);
          store.tokens.set(token, { userId: user.id, expiresAt });
          return { token, expiresAt, user: self(user) };
        },
        addFriend: (_: unknown, { userId }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const friendId = checkId('userId', userId);
          if (friendId === viewer.id) throw badInput('you cannot befriend yourself');
          const friend = store.users.get(friendId);
          if (!friend) throw notFound('no such user');
          // Mutual, and befriending twice changes nothing.
          for (const [a, b] of [[viewer.id, friendId], [friendId, viewer.id]]) {
            const set = store.friends.get(a) ?? new Set<string>();
            set.add(b);
            store.friends.set(a, set);
          }
          return UserType.from(friend);
        },
        createRoom: (_: unknown, { name, memberIds }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const others = new Set(checkMemberIds('memberIds', memberIds, viewer.id));
          others.delete(viewer.id);
          const friends = store.friends.get(viewer.id);
          if ([...others].some((id) => !friends?.has(id))) throw forbidden('only your friends can be added to a room');
          const created: RoomState = {
            id: randomUUID(),
            name: checkRoomName(name),
            createdAt: new Date().toISOString(),
            memberIds: new Set([viewer.id, ...others]),
            messages: [],
            byClientMessageId: new Map(),
          };
          store.rooms.set(created.id, created);
          return viewedRoom(created, viewer);
        },
        addReaction: (_: unknown, { messageId, emoji }: Args, ctx: Context) =>
          unbookmarked(store.react(requireViewer(ctx), messageId, emoji, true)),
        removeReaction: (_: unknown, { messageId, emoji }: Args, ctx: Context) =>
          unbookmarked(store.react(requireViewer(ctx), messageId, emoji, false)),
        sendChat: (_: unknown, { input }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const { roomId, body, clientMessageId, attachment } = checkSendChat(input);
          const target = store.memberRoom(viewer, roomId, 'write to');
          // A resend of a key this room has seen: the first message, published no second time.
          const first = clientMessageId === null ? undefined : target.byClientMessageId.get(clientMessageId);
          if (first) return unbookmarked(first);
          const message: MessageRecord = {
            id: randomUUID(),
            roomId,
            seq: target.messages.length + 1,
            kind: attachment ? 'FILE' : 'TEXT',
            body,
            sender: viewer,
            attachment,
            clientMessageId,
            createdAt: new Date().toISOString(),
            ...newMessageFields(null),
          };
          target.messages.push(message);
          store.messages.set(message.id, message);
          if (clientMessageId !== null) target.byClientMessageId.set(clientMessageId, message);
          store.pubsub.publish(roomId, message);
          return unbookmarked(message);
        },
      },
      Reaction: {
        byViewer: (reaction: ReactionType, _: Args, ctx: Context) => ctx.viewer !== null && reaction.userIds.includes(ctx.viewer.id),
      },
      Subscription: {
        roomMessages: {
          subscribe: (_: unknown, { roomId, afterSeq }: Args, ctx: Context) => {
            const viewer = requireViewer(ctx);
            const watched = store.memberRoom(viewer, checkId('roomId', roomId));
            // Without afterSeq the stream starts after the newest message, like the real one.
            return new RoomStream(watched, checkAfterSeq(afterSeq, watched.messages.length) + 1, store.pubsub);
          },
          resolve: unbookmarked,
        },
      },
    },
  });
  // Every other query and mutation says so, instead of failing on a null it cannot return.
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) field.resolve ??= notServed;
  }
  return schema;
}

/** Starts the ceiling server on `port` (0: any free one). */
export async function startMemoryServer(port = 0): Promise<MemoryServer> {
  const store = new Store();
  const schema = buildSchema(store);
  const httpServer = createServer();

  // Errors become what clients see exactly as in the real gateway, over HTTP and graphql-ws.
  const log = createLogger('memory-server', true);
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => toClientError(e.toJSON(), e, log, false));
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const sockets = useServer<Record<string, unknown> | undefined, { viewer?: PublicUser }>(
    {
      schema,
      onConnect: (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string') return false; // graphql-ws closes with 4403 Forbidden
        try {
          ctx.extra.viewer = store.authenticate(authorization);
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx): Context => ({ viewer: ctx.extra.viewer ?? null, authError: null }),
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => toClientError(formatted, error, log, false),
    includeStacktraceInErrorResponses: false,
    // stop() is the one way down (sockets first); Apollo's own SIGINT/SIGTERM handler would race it.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => store.httpContext(req.headers.authorization) }),
  );
  httpServer.on('request', app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, () => resolve());
  });

  const { port: bound } = httpServer.address() as AddressInfo;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${bound}${GRAPHQL_PATH}`,
    stop: () =>
      (stopping ??= (async () => {
        // Sockets first (graphql-ws ends their subscriptions and closes them with 1001), so the drain need not wait for them.
        await sockets.dispose();
        await apollo.stop();
      })()),
  };
}

if (require.main === module) {
  startMemoryServer(Number(process.env.PORT ?? 4100)).then(
    (server) => {
      console.log(`in-memory ceiling server listening on ${server.url}`);
      const stop = () => void server.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
