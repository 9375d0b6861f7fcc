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
import { UserError, badInput, conflict, forbidden, notFound, unauthenticated } from '../src/errors';
import { toClientError } from '../src/gateway/errors';
import { DateTimeScalar } from '../src/gateway/scalars';
import { createLogger } from '../src/log';
import {
  LIMITS,
  checkAttachment,
  checkEmail,
  checkId,
  checkMaxLength,
  checkMessageBody,
  checkPageSize,
  checkPassword,
  normalizeUsername,
  parseSeqCursor,
  seqPageInfo,
} from '../src/rules';

const GRAPHQL_PATH = '/graphql';
/** Like the real default (TOKEN_TTL_SECONDS). */
const TOKEN_TTL_MS = 7 * 24 * 3600 * 1000;

export interface MemoryServer {
  /** http://127.0.0.1:<port>/graphql (ws:// on the same path). */
  url: string;
  stop(): Promise<void>;
}

interface UserRec {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  statusMessage: string;
  createdAt: Date;
  lastLoginAt: Date | null;
  lastLogoutAt: Date | null;
}

interface AttachmentRec {
  name: string;
  contentType: string;
  size: number;
  url: string;
}

interface MessageRec {
  id: string;
  roomId: string;
  seq: number;
  kind: 'TEXT' | 'FILE';
  body: string;
  sender: UserRec;
  attachment: AttachmentRec | null;
  clientMessageId: string | null;
  createdAt: Date;
  /** No bookmark operation is served, so nothing is ever bookmarked. */
  bookmarked: false;
}

interface RoomRec {
  id: string;
  name: string;
  createdAt: Date;
  memberIds: Set<string>;
  /** The room's log: the message with seq s is messages[s - 1], so seqs have no gaps. */
  messages: MessageRec[];
  byClientMessageId: Map<string, MessageRec>;
}

interface Context {
  viewer: UserRec | null;
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
class RoomStream implements AsyncIterableIterator<MessageRec> {
  private waiter: ((result: IteratorResult<MessageRec>) => void) | null = null;
  private done = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly room: RoomRec,
    /** seq of the next message to hand out. */
    private nextSeq: number,
    pubsub: PubSub<MessageRec>,
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

  next(): Promise<IteratorResult<MessageRec>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    const stored = this.room.messages[this.nextSeq - 1];
    if (stored) {
      this.nextSeq++;
      return Promise.resolve({ value: stored, done: false });
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The subscriber went away (or the server is stopping). */
  return(): Promise<IteratorResult<MessageRec>> {
    if (!this.done) {
      this.done = true;
      this.unsubscribe();
      this.waiter?.({ value: undefined, done: true });
      this.waiter = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MessageRec> {
    return this;
  }
}

/** All state of one server: users, tokens, friendships and rooms in Maps. */
class Store {
  readonly users = new Map<string, UserRec>();
  readonly usernames = new Set<string>();
  readonly tokens = new Map<string, { userId: string; expiresAt: Date }>();
  readonly friends = new Map<string, Set<string>>();
  readonly rooms = new Map<string, RoomRec>();
  readonly pubsub = new PubSub<MessageRec>();

  /** The viewer a `Bearer <token>` names; UNAUTHENTICATED for anything else. */
  authenticate(authorization: string): UserRec {
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
  memberRoom(viewer: UserRec, roomId: string, verb = 'read'): RoomRec {
    const room = this.rooms.get(roomId);
    if (!room) throw notFound('no such room');
    if (!room.memberIds.has(viewer.id)) throw forbidden(`only members can ${verb} this room`);
    return room;
  }
}

function requireViewer(ctx: Context): UserRec {
  if (!ctx.viewer) throw ctx.authError ?? unauthenticated();
  return ctx.viewer;
}

function buildSchema(store: Store): GraphQLSchema {
  type Args = Record<string, any>;
  const schema = makeExecutableSchema<Context>({
    typeDefs: readSdl(),
    resolvers: {
      DateTime: DateTimeScalar,
      Query: {
        me: (_: unknown, _args: Args, ctx: Context) => requireViewer(ctx),
        room: (_: unknown, { id }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const roomId = checkId('id', id);
          return store.rooms.has(roomId) ? store.memberRoom(viewer, roomId) : null;
        },
        messages: (_: unknown, { roomId, first, after, last, before }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          if (first != null && last != null) throw badInput('give either first or last, not both');
          const afterSeq = parseSeqCursor('after', after);
          const beforeSeq = parseSeqCursor('before', before);
          const limit = first != null ? checkPageSize('first', first) : last != null ? checkPageSize('last', last) : 50;
          const room = store.memberRoom(viewer, checkId('roomId', roomId));
          const lastSeq = room.messages.length;
          // Seqs are 1..lastSeq, so the page is a slice of the log: afterSeq < seq < beforeSeq, from the chosen end.
          let start = afterSeq ?? 0;
          let end = Math.max(start, Math.min((beforeSeq ?? Infinity) - 1, lastSeq));
          if (first == null) start = Math.max(start, end - limit);
          else end = Math.min(end, start + limit);
          const edges = room.messages.slice(start, end).map((node) => ({ cursor: String(node.seq), node }));
          return { edges, pageInfo: seqPageInfo(edges.map((e) => e.node.seq), lastSeq, afterSeq, beforeSeq) };
        },
      },
      Mutation: {
        signUp: (_: unknown, { input }: Args) => {
          const username = normalizeUsername(String(input.username));
          checkPassword(input.password);
          if (store.usernames.has(username)) throw conflict(`username "${username}" is taken`);
          const displayName = checkMaxLength('displayName', (input.displayName ?? '').trim() || username, LIMITS.displayNameMax);
          const user: UserRec = {
            id: randomUUID(),
            username,
            displayName,
            email: input.email ? checkEmail(String(input.email)) : null,
            statusMessage: '',
            createdAt: new Date(),
            lastLoginAt: null,
            lastLogoutAt: null,
          };
          store.users.set(user.id, user);
          store.usernames.add(username);
          // An opaque random token instead of a signed JWT: the ceiling skips crypto on purpose.
          const token = randomBytes(24).toString('base64url');
          const expiresAt = new Date(Date.now() + TOKEN_TTL_MS);
          store.tokens.set(token, { userId: user.id, expiresAt });
          // The new user is the viewer of this payload: their email is shown, as in the real one.
          return { token, expiresAt, user: { ...user, viewedBySelf: true } };
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
          return friend;
        },
        createRoom: (_: unknown, { name, memberIds }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const others = [...new Set((memberIds as string[]).map((id) => checkId('memberIds', id)))].filter((id) => id !== viewer.id);
          if (others.length + 1 > LIMITS.roomMembersMax) throw badInput(`a room has at most ${LIMITS.roomMembersMax} members`);
          const roomName = checkMaxLength('name', String(name ?? '').trim(), LIMITS.roomNameMax) || 'New room';
          const friends = store.friends.get(viewer.id);
          if (others.some((id) => !friends?.has(id))) throw forbidden('only your friends can be added to a room');
          const room: RoomRec = {
            id: randomUUID(),
            name: roomName,
            createdAt: new Date(),
            memberIds: new Set([viewer.id, ...others]),
            messages: [],
            byClientMessageId: new Map(),
          };
          store.rooms.set(room.id, room);
          return room;
        },
        sendChat: (_: unknown, { input }: Args, ctx: Context) => {
          const viewer = requireViewer(ctx);
          const roomId = checkId('roomId', input.roomId);
          const attachment = checkAttachment(input.attachment);
          const body = checkMessageBody(input.body, attachment !== null);
          const clientMessageId: string | null = input.clientMessageId ?? null;
          if (clientMessageId !== null) {
            checkMaxLength('clientMessageId', clientMessageId, LIMITS.clientMessageIdMax);
            if (clientMessageId.length === 0) throw badInput('clientMessageId must not be empty');
          }
          const room = store.memberRoom(viewer, roomId, 'write to');
          // A resend of a key this room has seen: the first message, published no second time.
          const first = clientMessageId === null ? undefined : room.byClientMessageId.get(clientMessageId);
          if (first) return first;
          const message: MessageRec = {
            id: randomUUID(),
            roomId,
            seq: room.messages.length + 1,
            kind: attachment ? 'FILE' : 'TEXT',
            body,
            sender: viewer,
            attachment,
            clientMessageId,
            createdAt: new Date(),
            bookmarked: false,
          };
          room.messages.push(message);
          if (clientMessageId !== null) room.byClientMessageId.set(clientMessageId, message);
          store.pubsub.publish(roomId, message);
          return message;
        },
      },
      Subscription: {
        roomMessages: {
          subscribe: (_: unknown, { roomId, afterSeq }: Args, ctx: Context) => {
            const viewer = requireViewer(ctx);
            const id = checkId('roomId', roomId);
            if (afterSeq != null && afterSeq < 0) throw badInput('afterSeq must not be negative');
            const room = store.memberRoom(viewer, id);
            const lastSeq = room.messages.length;
            if (afterSeq != null && afterSeq > lastSeq) throw badInput(`afterSeq ${afterSeq} is past the room's newest message (${lastSeq})`);
            // Without afterSeq the stream starts after the newest message, like the real one.
            return new RoomStream(room, (afterSeq ?? lastSeq) + 1, store.pubsub);
          },
          resolve: (message: MessageRec) => message,
        },
      },
      User: {
        // Only visible to the user themself.
        email: (user: UserRec & { viewedBySelf?: boolean }, _args: Args, ctx: Context) =>
          user.viewedBySelf || ctx.viewer?.id === user.id ? user.email : null,
      },
      Room: {
        members: (room: RoomRec) => [...room.memberIds].map((id) => store.users.get(id)),
        lastSeq: (room: RoomRec) => room.messages.length,
        lastMessage: (room: RoomRec) => room.messages[room.messages.length - 1] ?? null,
        // markRead is not served, so every read marker stays at 0.
        lastReadSeq: () => 0,
        unreadCount: (room: RoomRec, _args: Args, ctx: Context) => room.messages.filter((m) => m.sender.id !== ctx.viewer?.id).length,
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
  const sockets = useServer<Record<string, unknown> | undefined, { viewer?: UserRec }>(
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
