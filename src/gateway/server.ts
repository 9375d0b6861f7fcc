import { createServer, type IncomingMessage, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Admin, Kafka } from 'kafkajs';
import { WebSocketServer } from 'ws';
import type { Config } from '../config';
import { SESSIONS_CHANNEL, type ChatEvent } from '../contracts/records';
import { ServiceUnavailableError, UserError, forbidden } from '../errors';
import { CommandBus } from './command-bus';
import { KafkaEvents } from '../live/kafka-events';
import { EventRouter } from '../live/router';
import { Presence } from '../live/presence';
import { UserStreams } from '../live/user-streams';
import { loadFriends, loadRoomMembers, loadRooms } from '../store/reads';
import { TypingSignals } from './typing';
import { Semaphore } from '../live/semaphore';
import type { Logger } from '../log';
import { GraphqlMetering } from '../observe/graphql';
import type { Metrics } from '../observe/metrics';
import { PROBE_PATHS, Probes, type ProbePath } from '../observe/probes';
import { isStoreUnavailableOrBusy } from '../store/errors';
import { Authenticator, Tokens, type Viewer } from './auth';
import type { Context, Services } from './context';
import { DocumentCache } from './documents';
import { clientCode, toClientError } from './errors';
import { PARSE_OPTIONS, REQUEST_LIMITS, bodyTooLarge, httpOperationsPlugin, requestRules, tooManyOperations, validVariablesPlugin, variablesRefusal } from './limits';
import { Passwords } from './passwords';
import { RateLimiter, socialRateLimiter } from './rate-limit';
import { isTokenRevoked } from '../store/reads';
import { buildChatSchema } from './schema';
import { AuthThrottles, RequestRate, clientAddressOf } from './throttles';
import { CLOSE_TRY_AGAIN_LATER, SocketRegistry } from './sockets';
import { webUi } from './web-ui';
import { Uploads } from './uploads';

export const GRAPHQL_PATH = '/graphql';
/** How often open sockets are looked at for a client that stopped reading. */
const UNREAD_CHECK_MS = 1_000;

/** Subscription set-ups waiting for a turn at the database beyond this are refused at once (besides SUBSCRIPTION_SETUP_WAIT_MS). */
const SUBSCRIPTION_READS_QUEUE_MAX = 1_000;

/** The subscriptions' share of the database pool (config.subscriptionReads); past its wait, a retriable SERVICE_UNAVAILABLE. */
function subscriptionReadsOf(config: Config): Semaphore {
  const { concurrency, waitMs } = config.subscriptionReads;
  return new Semaphore(concurrency, waitMs, SUBSCRIPTION_READS_QUEUE_MAX, () =>
    new ServiceUnavailableError('too many subscriptions are starting on this server at once; subscribe again shortly', {
      reason: 'SUBSCRIPTIONS_BUSY',
    }),
  );
}

/**
 * GraphQL over HTTP (Apollo Server) and graphql-ws on one port and path.
 * Never writes the database: mutations go through the command bus.
 */
export class Gateway {
  private readonly services: Services;
  private readonly httpServer: Server;
  private apollo: ApolloServer<Context> | null = null;
  private readonly events: KafkaEvents;
  private readonly auth: Authenticator;
  private readonly sockets: SocketRegistry;
  private readonly clientAddress: (req: IncomingMessage) => string;
  private unreadChecks: NodeJS.Timeout | undefined;
  private readonly probes: Probes;
  private readonly metering: GraphqlMetering;

  constructor(
    kafka: Kafka,
    admin: Admin,
    orm: MikroORM,
    private readonly config: Config,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.sockets = new SocketRegistry(config.socketCaps, (cap) => metrics.socketRefused(cap));
    this.probes = new Probes(orm, admin, metrics);
    this.metering = new GraphqlMetering(metrics, log, clientCode);
    this.events = new KafkaEvents(kafka, admin, config, log, metrics);
    const tokens = new Tokens(config);
    this.auth = new Authenticator(tokens, (tokenId, userId) => isTokenRevoked(orm.em.fork(), tokenId, userId));
    const subscriptionReads = subscriptionReadsOf(config);
    metrics.countWaitingSubscriptionReads(() => subscriptionReads.load.waiting);
    const bus = new CommandBus(kafka, admin, config, log, metrics);
    const live = new EventRouter(this.events, log, metrics, subscriptionReads);
    const userStreams = new UserStreams(
      live,
      {
        rooms: (userId, roomId) => loadRooms(orm.em.fork(), userId, roomId),
        members: (roomId) => loadRoomMembers(orm.em.fork(), roomId),
        friends: (userId) => loadFriends(orm.em.fork(), userId),
      },
      subscriptionReads,
      log,
    );
    const presence = new Presence(
      config.instanceId,
      {
        publish: (event) => this.events.publish(event),
        changed: (userId) => userStreams.presenceChanged(userId),
        lastSeen: (userId, at) =>
          void bus
            .send('RecordLastSeen', userId, { at: at.toISOString() })
            .catch((err: Error) => log.warn('could not record when a user was last seen', { userId, err: err.message })),
      },
      log,
    );
    this.services = {
      orm,
      bus,
      live,
      userStreams,
      presence,
      publish: (event) => this.events.publish(event),
      typing: new TypingSignals(),
      tokens,
      sendRate: new RateLimiter(config.sendRate),
      socialRate: socialRateLimiter(config.socialRatePerMinute),
      authThrottles: new AuthThrottles(config.authRate),
      passwords: new Passwords(),
      uploads: new Uploads(orm, config, log),
    };
    this.clientAddress = clientAddressOf(config.trustProxy);
    this.httpServer = createServer();
  }

  /** The HTTP URL of the GraphQL endpoint once started (ws:// on the same path). */
  get url(): string {
    const { port } = this.httpServer.address() as AddressInfo;
    return `http://127.0.0.1:${port}${GRAPHQL_PATH}`;
  }

  get openSubscriptions(): number {
    return this.services.live.openStreams;
  }

  /** myEvents subscriptions set up here (for tests). */
  get openUserStreams(): number {
    return this.services.userStreams.openSubscriptions;
  }

  /** Produces an ephemeral event as this gateway would (for tests that stand in for another producer). */
  publishEvent(event: ChatEvent): Promise<void> {
    return this.services.publish(event);
  }

  /** graphql-ws sockets open now, but those the gateway has closed and waits to see go (for tests). */
  get openSockets(): number {
    return this.sockets.open;
  }

  async start(): Promise<void> {
    this.unreadChecks = setInterval(() => this.sockets.closeUnread(this.config.wsUnreadTimeoutMs), UNREAD_CHECK_MS);
    this.unreadChecks.unref();
    await this.services.bus.start();
    await this.events.start();
    // A logout on any gateway closes the sockets opened with that token here.
    await this.services.live.listen(SESSIONS_CHANNEL, (event) => {
      if (event.type === 'session-ended') {
        // Its myEvents end first (completed), then its sockets close.
        this.services.userStreams.endSession(event.tokenId);
        this.sockets.endSession(event.tokenId);
      }
      // An account deleted (on any gateway): its myEvents end, and all its sockets close at once.
      if (event.type === 'account-deleted') {
        this.services.userStreams.endUser(event.userId);
        this.sockets.endUser(event.userId);
      }
    });
    await this.services.presence.start(this.services.live);
    const schema = await buildChatSchema();
    // A message over maxPayload closes the socket with 1009 (Message Too Big).
    const wsServer = new WebSocketServer({ server: this.httpServer, path: GRAPHQL_PATH, maxPayload: REQUEST_LIMITS.bodyBytesMax });
    const sockets = this.serveWebSocket(schema, wsServer);

    const format = (formatted: GraphQLFormattedError, error: unknown) =>
      toClientError(formatted, error, this.log, this.config.production);
    this.apollo = new ApolloServer<Context>({
      schema,
      formatError: format,
      includeStacktraceInErrorResponses: false,
      // main.ts owns SIGINT/SIGTERM. Apollo's own handlers (on unless NODE_ENV=test) raced ours: its stop()
      // and ours waited on each other and the process never exited.
      stopOnTerminationSignals: false,
      // Introspection is refused by requestRules instead (unless config.introspection), over HTTP and graphql-ws with one message.
      introspection: true,
      validationRules: requestRules(this.config),
      parseOptions: PARSE_OPTIONS,
      plugins: [
        validVariablesPlugin,
        httpOperationsPlugin,
        // A browser's GET of /graphql: Apollo Sandbox in development (subscriptions over graphql-ws at the same URL); in production Apollo's plain page.
        this.config.production
          ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
          : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false, footer: false }),
        ApolloServerPluginDrainHttpServer({ httpServer: this.httpServer }),
        // No cache hints are given (chat data is per viewer and live), and the plugin's hook on every resolved field costs reads time.
        ApolloServerPluginCacheControlDisabled(),
        this.metering.apolloPlugin(),
        // On drain graphql-ws closes every socket with 1001 (going away); clients resume elsewhere with afterSeq.
        { serverWillStart: async () => ({ drainServer: async () => void (await sockets.dispose()) }) },
      ],
    });
    await this.apollo.start();

    const app = express();
    app.disable('x-powered-by');
    // /healthz and /readyz (src/observe/probes.ts); /metrics too in development unless it has a port of its own
    // (METRICS_PORT, served by app.ts): in production the public port does not tell the world the service's internals.
    const publicProbes = PROBE_PATHS.filter((path) => path !== '/metrics' || (!this.config.production && this.config.metricsPort === null));
    app.get(publicProbes, async (req, res) => {
      const answer = await this.probes.answer(req.path as ProbePath);
      res.status(answer.status).type(answer.contentType).send(answer.body);
    });
    const requestRate = new RequestRate(this.config.requestRatePerAddress);
    app.use(
      GRAPHQL_PATH,
      // Before the body is read: a flood costs little to refuse.
      (req: Request, res: Response, next: NextFunction) => {
        // Without a token only signUp and login can succeed, and both hash a password: while the hashing queue
        // is full they would be refused anyway, after the whole GraphQL pipeline.
        if (!req.headers.authorization && this.services.passwords.full) {
          const busy = this.services.passwords.busy();
          res.status(503).json({ errors: [{ message: busy.message, extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true, ...busy.details } }] });
          return;
        }
        void requestRate.take(this.clientAddress(req)).then((refused) => {
          if (!refused) return next();
          res.status(429).set('retry-after', String(Math.ceil(refused.retryAfter)));
          res.json({ errors: [{ message: refused.message, extensions: { ...refused.details, code: refused.code } }] });
        }, next);
      },
      express.json({ limit: REQUEST_LIMITS.bodyBytesMax }),
      expressMiddleware(this.apollo, {
        context: ({ req }) => this.httpContext(req.headers.authorization, this.clientAddress(req)),
      }),
    );
    // PUT /uploads/<ticket> and GET /files/<id> (./uploads.ts): file bytes go straight to the store, never through Kafka.
    app.use(this.services.uploads.routes((authorization) => this.auth.authenticate(authorization)));
    // The web UI's files at / (web/build.ts bundles them); a GET of /graphql stays with Apollo above.
    app.use(webUi({ production: this.config.production }));
    // Errors outside GraphQL (a body express.json() refuses, say) get a GraphQL-shaped answer, never express's HTML page with a stack.
    app.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
      if (err.type === 'entity.too.large') {
        const tooLarge = bodyTooLarge();
        res.status(413).json({ errors: [{ message: tooLarge.message, extensions: { ...tooLarge.details, code: tooLarge.code } }] });
        return;
      }
      if (err.status && err.status < 500) {
        res.status(err.status).json({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }] });
        return;
      }
      this.log.error('unexpected error outside GraphQL', { err: err.message });
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    });
    this.httpServer.on('request', app);
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(this.config.port, () => resolve());
    });
    this.log.info('gateway listening', { url: this.url });
  }

  private serveWebSocket(schema: GraphQLSchema, wsServer: WebSocketServer) {
    const format = (errors: readonly GraphQLError[]) =>
      errors.map((e) => toClientError(e.toJSON(), e, this.log, this.config.production));
    const documents = new DocumentCache(schema, requestRules(this.config));
    // Before graphql-ws's own listener, from the upgrade on: sockets that never send connection_init count too.
    wsServer.on('connection', (socket, request) => this.sockets.opened(this.clientAddress(request), socket));
    return useServer<Record<string, unknown> | undefined, { viewer?: Viewer }>(
      {
        schema,
        ...this.metering.websocketExecution(),
        // graphql-ws's default, made explicit: a socket that never sends connection_init is closed
        // with CloseCode.ConnectionInitialisationTimeout.
        connectionInitWaitTimeout: REQUEST_LIMITS.connectionInitTimeoutMs,
        onSubscribe: (ctx, _id, payload) => {
          // graphql-ws registers the operation before this runs; an error here ends this one operation, not the socket.
          if (Object.keys(ctx.subscriptions).length > REQUEST_LIMITS.operationsPerSocketMax) {
            const error = tooManyOperations();
            return [new GraphQLError(error.message, { originalError: error })];
          }
          const parsed = documents.get(payload.query);
          if ('errors' in parsed) return parsed.errors;
          const refused = variablesRefusal(payload.variables);
          if (refused) return [new GraphQLError(refused.message, { originalError: refused })];
          return { schema, document: parsed.document, variableValues: payload.variables, operationName: payload.operationName };
        },
        onConnect: async (ctx) => {
          const { socket } = ctx.extra;
          try {
            const viewer = await this.auth.authenticate(ctx.connectionParams?.authorization, (viewer) => {
              // Over the user's cap the registry has closed it with 4429: refused before the revocation read.
              if (!this.sockets.track(viewer, socket)) throw forbidden('too many sockets for this user');
            });
            ctx.extra.viewer = viewer;
            // Online while at least one authenticated socket is open, on any gateway.
            if (socket.readyState === socket.OPEN) {
              this.services.presence.connected(viewer.userId);
              socket.once('close', () => this.services.presence.disconnected(viewer.userId));
            }
            return true;
          } catch (err) {
            if (err instanceof UserError) return false; // graphql-ws closes with CloseCode.Forbidden (a no-op if closed already)
            if (!isStoreUnavailableOrBusy(err)) throw err; // graphql-ws closes with CloseCode.InternalServerError
            this.log.warn('database unavailable while checking a socket token', { err: (err as Error).message });
            // Closed here with a retriable code; graphql-ws's own close after `false` is then a no-op.
            socket.close(CLOSE_TRY_AGAIN_LATER, 'Try again later: service unavailable');
            return false;
          }
        },
        context: (ctx) => this.context(ctx.extra.viewer ?? null, null, this.clientAddress(ctx.extra.request)),
        onError: (_ctx, _id, _payload, errors) => format(errors),
        onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      },
      wsServer,
    );
  }

  /** A refused token is not an error yet: signUp and login need none; operations that do raise it. */
  private async httpContext(authorization: string | undefined, clientAddress: string): Promise<Context> {
    const receivedAt = performance.now();
    if (!authorization) return this.context(null, null, clientAddress, receivedAt);
    try {
      return this.context(await this.auth.authenticate(authorization), null, clientAddress, receivedAt);
    } catch (err) {
      if (err instanceof UserError) return this.context(null, err, clientAddress, receivedAt);
      if (isStoreUnavailableOrBusy(err)) {
        // The whole request fails with 503; toClientError turns the cause into SERVICE_UNAVAILABLE.
        throw new GraphQLError('database unavailable while checking the token', {
          originalError: err as Error,
          extensions: { http: { status: 503 } },
        });
      }
      throw err;
    }
  }

  private context(viewer: Viewer | null, authError: UserError | null, clientAddress: string, receivedAt = performance.now()): Context {
    const { orm } = this.services;
    let em: EntityManager | undefined;
    // Forked on first use: a subscription's context lives as long as it does, and most never read through it again.
    return { viewer, authError, services: this.services, receivedAt, clientAddress, get em() { return (em ??= orm.em.fork()); } };
  }

  /** Stops accepting, lets in-flight requests finish, closes sockets with 1001, leaves its consumer groups. */
  async stop(): Promise<void> {
    clearInterval(this.unreadChecks);
    this.services.presence.leave();
    if (this.apollo) await this.apollo.stop();
    else if (this.httpServer.listening) await new Promise((resolve) => this.httpServer.close(resolve));
    this.services.live.closeStreams();
    this.services.userStreams.closeAll();
    await this.services.presence.stop();
    await this.events.stop();
    await this.services.bus.stop();
  }
}
