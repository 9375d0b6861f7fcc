/**
 * The conventional peer the bench compares the service with: what a team
 * would build without Kafka. Apollo Server over express 5 and graphql-ws on
 * the same port and path (like the gateway), JWT auth (the gateway's Tokens),
 * and a `sendChat` resolver that writes PostgreSQL directly in one
 * transaction (the room row locked, seq = last + 1, a clientMessageId resend
 * answered with the first message) and then publishes through Redis pub/sub
 * (graphql-redis-subscriptions + ioredis). Only the operations the load
 * generator uses are served: signUp, addFriend, createRoom, sendChat and
 * roomMessages. Its tables live in a database of their own.
 *
 *   PEER_DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379 JWT_SECRET=… node dist/bench/peer-server.js
 *
 * Prints one JSON line `{"url": …}` on stdout once it listens.
 */
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { hash } from '@node-rs/argon2';
import express from 'express';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import Redis from 'ioredis';
import { Pool, type PoolClient } from 'pg';
import { WebSocketServer } from 'ws';
import type { MessageRecord, PublicUser } from '../src/contracts/records';
import { UserError, badInput, conflict, forbidden, notFound, unauthenticated } from '../src/errors';
import { Tokens } from '../src/gateway/auth';
import { toClientError } from '../src/gateway/errors';
import { DateTimeScalar } from '../src/gateway/scalars';
import { MessageType, RoomType, UserType } from '../src/gateway/types';
import { createLogger } from '../src/log';
import { checkAfterSeq, checkId, checkMemberIds, checkRoomName, checkSendChat, checkSignUp } from '../src/rules';

const GRAPHQL_PATH = '/graphql';

const TABLES = `
create table if not exists users (
  id uuid primary key default gen_random_uuid(), username text not null unique, display_name text not null,
  password_hash text not null, status_message text not null default '', created_at timestamptz not null default now());
create table if not exists friendships (user_id uuid not null references users, friend_id uuid not null references users, primary key (user_id, friend_id));
create table if not exists rooms (id uuid primary key default gen_random_uuid(), name text not null, created_at timestamptz not null default now(), last_seq bigint not null default 0);
create table if not exists room_members (room_id uuid not null references rooms, user_id uuid not null references users, primary key (room_id, user_id));
create table if not exists messages (
  id uuid primary key default gen_random_uuid(), room_id uuid not null references rooms, seq bigint not null, body text not null,
  sender_id uuid references users, client_message_id text, created_at timestamptz not null default now(),
  unique (room_id, seq), unique (room_id, client_message_id));
`;

interface Context {
  viewerId: string | null;
  authError: UserError | null;
}

function readSdl(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'schema', 'schema.graphql');
    if (existsSync(file)) return readFileSync(file, 'utf8');
    if (dirname(dir) === dir) throw new Error(`schema/schema.graphql not found above ${__dirname}`);
  }
}

function requireViewer(ctx: Context): string {
  if (!ctx.viewerId) throw ctx.authError ?? unauthenticated();
  return ctx.viewerId;
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());
const userOf = (row: Record<string, any>, prefix = ''): PublicUser => ({
  id: row[`${prefix}id`],
  username: row[`${prefix}username`],
  displayName: row[`${prefix}display_name`],
  statusMessage: row[`${prefix}status_message`],
  createdAt: iso(row[`${prefix}created_at`]),
  lastLoginAt: null,
  lastLogoutAt: null,
});
const messageOf = (row: Record<string, any>, sender: PublicUser | null): MessageRecord => ({
  id: row.id,
  roomId: row.room_id,
  seq: Number(row.seq),
  kind: 'TEXT',
  body: row.body,
  sender,
  attachment: null,
  clientMessageId: row.client_message_id,
  system: null,
  createdAt: iso(row.created_at),
});
const roomChannel = (roomId: string) => `room.${roomId}`;

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function buildSchema(pool: Pool, pubsub: RedisPubSub, tokens: Tokens): GraphQLSchema {
  type Args = Record<string, any>;
  const notServed = () => {
    throw new Error('not served by the peer server');
  };
  const schema = makeExecutableSchema<Context>({
    typeDefs: readSdl(),
    resolvers: {
      DateTime: DateTimeScalar,
      Mutation: {
        signUp: async (_: unknown, { input }: Args) => {
          const { username, displayName, email } = checkSignUp(input);
          const passwordHash = await hash(input.password);
          const { rows } = await pool
            .query('insert into users (username, display_name, password_hash) values ($1, $2, $3) returning *', [username, displayName, passwordHash])
            .catch((err: { code?: string }) => {
              if (err.code === '23505') throw conflict(`username "${username}" is taken`);
              throw err;
            });
          const user = userOf(rows[0]);
          const { token, expiresAt } = await tokens.issue(user.id);
          return { token, expiresAt, user: UserType.from({ ...user, email }) };
        },
        addFriend: async (_: unknown, { userId }: Args, ctx: Context) => {
          const viewerId = requireViewer(ctx);
          const friendId = checkId('userId', userId);
          if (friendId === viewerId) throw badInput('you cannot befriend yourself');
          return inTransaction(pool, async (tx) => {
            const { rows } = await tx.query('select * from users where id = $1', [friendId]);
            if (!rows[0]) throw notFound('no such user');
            await tx.query('insert into friendships values ($1, $2), ($2, $1) on conflict do nothing', [viewerId, friendId]);
            return UserType.from(userOf(rows[0]));
          });
        },
        createRoom: async (_: unknown, { name, memberIds }: Args, ctx: Context) => {
          const viewerId = requireViewer(ctx);
          const others = [...new Set(checkMemberIds('memberIds', memberIds, viewerId))].filter((id) => id !== viewerId);
          return inTransaction(pool, async (tx) => {
            const { rows: friends } = await tx.query('select friend_id from friendships where user_id = $1 and friend_id = any($2::uuid[])', [viewerId, others]);
            if (friends.length !== others.length) throw forbidden('only your friends can be added to a room');
            const { rows: [room] } = await tx.query('insert into rooms (name) values ($1) returning *', [checkRoomName(name)]);
            const ids = [viewerId, ...others];
            await tx.query('insert into room_members select $1, unnest($2::uuid[])', [room.id, ids]);
            const { rows: members } = await tx.query('select * from users where id = any($1::uuid[])', [ids]);
            return RoomType.from({
              id: room.id,
              name: room.name,
              createdAt: iso(room.created_at),
              members: members.map((m) => userOf(m)),
              lastSeq: 0,
              lastMessage: null,
              lastReadSeq: 0,
              unreadCount: 0,
            });
          });
        },
        sendChat: async (_: unknown, { input }: Args, ctx: Context) => {
          const viewerId = requireViewer(ctx);
          const { roomId, body, clientMessageId } = checkSendChat(input);
          const { message, fresh } = await inTransaction(pool, async (tx) => {
            // The room row locked: one room's messages are numbered one at a time.
            const { rows: [room] } = await tx.query(
              `select r.last_seq, m.user_id is not null as member, u.id as u_id, u.username as u_username, u.display_name as u_display_name,
                 u.status_message as u_status_message, u.created_at as u_created_at
               from rooms r left join room_members m on m.room_id = r.id and m.user_id = $2 left join users u on u.id = $2
               where r.id = $1 for update of r`,
              [roomId, viewerId],
            );
            if (!room) throw notFound('no such room');
            if (!room.member) throw forbidden('only members can write to this room');
            const sender = userOf(room, 'u_');
            if (clientMessageId !== null) {
              const { rows: [first] } = await tx.query('select * from messages where room_id = $1 and client_message_id = $2', [roomId, clientMessageId]);
              if (first) return { message: messageOf(first, sender), fresh: false };
            }
            const seq = Number(room.last_seq) + 1;
            const { rows: [row] } = await tx.query(
              'insert into messages (room_id, seq, body, sender_id, client_message_id) values ($1, $2, $3, $4, $5) returning *',
              [roomId, seq, body, viewerId, clientMessageId],
            );
            await tx.query('update rooms set last_seq = $2 where id = $1', [roomId, seq]);
            return { message: messageOf(row, sender), fresh: true };
          });
          // After COMMIT: what readers see is durable. A resend is published no second time.
          if (fresh) await pubsub.publish(roomChannel(roomId), message);
          return MessageType.from({ message, bookmarked: false });
        },
      },
      Subscription: {
        roomMessages: {
          subscribe: async (_: unknown, { roomId, afterSeq }: Args, ctx: Context) => {
            const viewerId = requireViewer(ctx);
            const id = checkId('roomId', roomId);
            const { rows: [room] } = await pool.query(
              'select r.last_seq, m.user_id is not null as member from rooms r left join room_members m on m.room_id = r.id and m.user_id = $2 where r.id = $1',
              [id, viewerId],
            );
            if (!room) throw notFound('no such room');
            if (!room.member) throw forbidden('only members can read this room');
            checkAfterSeq(afterSeq, Number(room.last_seq)); // checked, but the peer replays nothing: live messages only
            return pubsub.asyncIterator<MessageRecord>(roomChannel(id));
          },
          resolve: (message: MessageRecord) => MessageType.from({ message, bookmarked: false }),
        },
      },
    },
  });
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) field.resolve ??= notServed;
  }
  return schema;
}

export async function startPeerServer(opts: { databaseUrl: string; redisUrl: string; jwtSecret: string; port?: number }) {
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 10 });
  await pool.query(TABLES);
  const pubsub = new RedisPubSub({ publisher: new Redis(opts.redisUrl), subscriber: new Redis(opts.redisUrl) });
  const tokens = new Tokens({ jwtSecret: opts.jwtSecret, tokenTtlSeconds: 7 * 24 * 3600 });
  const schema = buildSchema(pool, pubsub, tokens);
  const httpServer = createServer();
  const log = createLogger('peer-server', true);
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => toClientError(e.toJSON(), e, log, false));
  const viewerOf = async (authorization: unknown): Promise<string> => {
    if (typeof authorization !== 'string') throw unauthenticated();
    return (await tokens.verify(authorization)).userId;
  };

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const sockets = useServer<Record<string, unknown> | undefined, { viewerId?: string }>(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          ctx.extra.viewerId = await viewerOf(ctx.connectionParams?.authorization);
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx): Context => ({ viewerId: ctx.extra.viewerId ?? null, authError: null }),
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
    },
    wsServer,
  );
  const apollo = new ApolloServer<Context>({
    schema,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => toClientError(formatted, error, log, false),
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const app = express();
  app.disable('x-powered-by');
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<Context> => {
        if (!req.headers.authorization) return { viewerId: null, authError: null };
        try {
          return { viewerId: await viewerOf(req.headers.authorization), authError: null };
        } catch (err) {
          return { viewerId: null, authError: err as UserError };
        }
      },
    }),
  );
  httpServer.on('request', app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${GRAPHQL_PATH}`,
    stop: async () => {
      await sockets.dispose();
      await apollo.stop();
      httpServer.close();
      await pubsub.close();
      await pool.end();
    },
  };
}

if (require.main === module) {
  startPeerServer({
    databaseUrl: process.env.PEER_DATABASE_URL!,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    jwtSecret: process.env.JWT_SECRET!,
    port: Number(process.env.PORT ?? 0),
  }).then(
    (server) => {
      process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
      const stop = () => void server.stop().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
