import type { Consumer } from 'kafkajs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds, from a cheap read to a mutation that waited the whole COMMAND_TIMEOUT_MS (5 s by default). */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Transport = 'http' | 'ws';
/** The operation's type; `none` when the request never got as far as a valid operation. */
export type OperationType = 'query' | 'mutation' | 'subscription' | 'none';
/** What became of a command in the worker. */
export type CommandOutcome = 'ok' | 'refused' | 'rejected' | 'expired' | 'already_applied' | 'dead_letter';
/** A consumer's group membership, from kafkajs's events; only `joined` counts as ready. */
export type ConsumerState = 'joining' | 'joined' | 'crashed' | 'stopped';

let processRegistry: Registry | null = null;

/** CPU, memory, event loop delay, GC: one set per process however many apps it runs (tests run several). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Everything one app measures, in a registry of its own (not prom-client's
 * global one, where a second app in the same process would clash). The
 * gateway and the worker of one process share it, so one /metrics shows both.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor() {
    processMetrics(); // from the first app on, so the event loop delay covers its whole life
  }

  private readonly graphqlOperations = new Counter({
    name: 'chat_graphql_operations_total',
    help: 'GraphQL operations by transport, operation type, root field (once per distinct root field) and outcome (ok or the error code the client got)',
    labelNames: ['transport', 'type', 'field', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly graphqlDuration = new Histogram({
    name: 'chat_graphql_operation_duration_seconds',
    help: 'Time to answer a GraphQL operation (a subscription: to set it up; over HTTP from the token check on), by transport, type and root field',
    labelNames: ['transport', 'type', 'field'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  private openSubscriptions: () => number = () => 0;

  private readonly activeSubscriptions: Gauge = new Gauge({
    name: 'chat_graphql_active_subscriptions',
    help: 'roomMessages subscriptions open on this gateway',
    registers: [this.registry],
    // Read at scrape time: opening and closing a subscription costs nothing extra.
    collect: () => this.activeSubscriptions.set(this.openSubscriptions()),
  });

  private readonly socketsRefused = new Counter({
    name: 'chat_ws_sockets_refused_total',
    help: 'graphql-ws sockets closed with 4429 on opening, by the cap they were over: user (WS_SOCKETS_PER_USER) or address (WS_SOCKETS_PER_ADDRESS)',
    labelNames: ['cap'] as const,
    registers: [this.registry],
  });

  private waitingSubscriptionReads: () => number = () => 0;

  private readonly subscriptionReadsWaiting: Gauge = new Gauge({
    name: 'chat_subscription_reads_waiting',
    help: "Subscriptions' database reads waiting for a turn (SUBSCRIPTION_SETUP_CONCURRENCY run at once)",
    registers: [this.registry],
    collect: () => this.subscriptionReadsWaiting.set(this.waitingSubscriptionReads()),
  });

  private readonly deliveryLatency = new Histogram({
    name: 'chat_message_delivery_latency_seconds',
    help: "From a message's createdAt (set by the worker's transaction) to this gateway handing it to its subscribers; once per message per gateway",
    buckets: SECONDS,
    registers: [this.registry],
  });

  private readonly commands = new Counter({
    name: 'chat_worker_commands_total',
    help: 'Commands taken by the worker, by type and outcome: ok, refused (a user error), rejected (by the database), expired, already_applied (a redelivery), dead_letter (unreadable)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly applyDuration = new Histogram({
    name: 'chat_worker_command_apply_duration_seconds',
    help: "Time in a command's handler inside its transaction, by command type; counted once the transaction committed",
    labelNames: ['type'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly applyDurationByType = new Map<string, Histogram.Internal<'type'>>();

  private readonly batchDuration = new Histogram({
    name: 'chat_worker_batch_duration_seconds',
    help: "One batch of a partition's commands (at most 100): from taking it to its events and replies produced, commit included",
    buckets: SECONDS,
    registers: [this.registry],
  });

  private readonly consumerStates = new Map<string, ConsumerState>();

  private readonly consumerJoined: Gauge<'consumer'> = new Gauge({
    name: 'chat_kafka_consumer_joined',
    help: "1 while the consumer is in its group (kafkajs's GROUP_JOIN, not since crashed or stopped), else 0",
    labelNames: ['consumer'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [consumer, state] of this.consumerStates) this.consumerJoined.set({ consumer }, state === 'joined' ? 1 : 0);
    },
  });

  private readonly consumerLag = new Gauge({
    name: 'chat_kafka_consumer_lag_messages',
    help: "Records after the last one the consumer processed, per partition (kafkajs's offsetLag), as of its last batch",
    labelNames: ['consumer', 'partition'] as const,
    registers: [this.registry],
  });
  private readonly lagByPartition = new Map<string, Map<number, Gauge.Internal<'consumer' | 'partition'>>>();

  private readonly recordsFetched = new Counter({
    name: 'chat_kafka_records_fetched_total',
    help: "Records this process's consumer fetched and looked at, by consumer (a gateway's replies and messages; not the sessions partition every gateway reads): with records_delivered, the share it read for nobody here",
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  private readonly recordsDelivered = new Counter({
    name: 'chat_kafka_records_delivered_total',
    help: 'Records of the consumer that had a reader here (a reply this gateway waited for; an event of a channel with a live listener here)',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  private readonly partitionsReadSources = new Map<string, () => number>();

  private readonly partitionsRead: Gauge<'consumer'> = new Gauge({
    name: 'chat_kafka_partitions_read',
    help: 'Partitions the consumer fetches now (the others are paused: no reader here)',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [consumer, source] of this.partitionsReadSources) this.partitionsRead.set({ consumer }, source());
    },
  });

  /** The fetched and delivered counters of one consumer, to count a record with no label lookup. */
  recordCounters(consumer: string): { fetched: Counter.Internal; delivered: Counter.Internal } {
    return { fetched: this.recordsFetched.labels({ consumer }), delivered: this.recordsDelivered.labels({ consumer }) };
  }

  /** Where the partitions-read gauge of a consumer reads its value. */
  countPartitionsRead(consumer: string, source: () => number): void {
    this.partitionsReadSources.set(consumer, source);
  }

  /** Records fetched and delivered so far, by consumer (the scale benchmark and tests read them in process). */
  async recordsRead(): Promise<Record<string, { fetched: number; delivered: number }>> {
    const out: Record<string, { fetched: number; delivered: number }> = {};
    for (const [metric, field] of [
      [this.recordsFetched, 'fetched'],
      [this.recordsDelivered, 'delivered'],
    ] as const) {
      for (const { labels, value } of (await metric.get()).values) {
        const consumer = String(labels.consumer);
        out[consumer] ??= { fetched: 0, delivered: 0 };
        out[consumer][field] = value;
      }
    }
    return out;
  }

  /** One GraphQL operation ended; each distinct root field is counted (several are rare: one request, several fields). */
  graphqlOperation(transport: Transport, type: OperationType, fields: readonly string[], outcome: string, seconds: number): void {
    for (const field of fields.length > 0 ? fields : ['none']) {
      this.graphqlOperations.inc({ transport, type, field, outcome });
      this.graphqlDuration.observe({ transport, type, field }, seconds);
    }
  }

  /** Where the active-subscriptions gauge reads its value (the gateway's open streams). */
  countSubscriptions(source: () => number): void {
    this.openSubscriptions = source;
  }

  /** A socket was closed on opening for being over a cap. */
  socketRefused(cap: 'user' | 'address'): void {
    this.socketsRefused.inc({ cap });
  }

  /** Where the waiting-subscription-reads gauge reads its value. */
  countWaitingSubscriptionReads(source: () => number): void {
    this.waitingSubscriptionReads = source;
  }

  /** A live message reached this gateway's subscribers of its room. */
  messageFannedOut(createdAt: string): void {
    const ms = Date.now() - Date.parse(createdAt);
    // Clocks of the database and the gateway may differ a little: never a negative latency.
    if (Number.isFinite(ms)) this.deliveryLatency.observe(Math.max(0, ms) / 1000);
  }

  /** A command's final outcome in the worker; `applySeconds` when this worker applied it now. */
  commandDone(type: string, outcome: CommandOutcome, applySeconds?: number): void {
    this.commands.inc({ type, outcome });
    if (applySeconds === undefined) return;
    let child = this.applyDurationByType.get(type);
    if (!child) this.applyDurationByType.set(type, (child = this.applyDuration.labels({ type })));
    child.observe(applySeconds);
  }

  private readonly moderationFirings = new Counter({
    name: 'chat_moderation_firings_total',
    help: "The moderator's rule firings, each sent as a MuteUser command, by rule (one firing may be one the worker finds already answered)",
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  private readonly moderationMutes = new Counter({
    name: 'chat_moderation_mutes_total',
    help: 'Mutes the worker decided (rows of moderation_decisions), by rule',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  moderationFired(rule: string): void {
    this.moderationFirings.inc({ rule });
  }

  moderationMuted(rule: string): void {
    this.moderationMutes.inc({ rule });
  }

  workerBatch(seconds: number): void {
    this.batchDuration.observe(seconds);
  }

  /**
   * Follows a kafkajs consumer under `name`: its group membership (for
   * chat_kafka_consumer_joined and /readyz) and its lag per partition. Call it
   * before the consumer runs, so no event is missed.
   */
  watchConsumer(name: string, consumer: Consumer): void {
    this.consumerStates.set(name, 'joining');
    const lag = new Map<number, Gauge.Internal<'consumer' | 'partition'>>();
    this.lagByPartition.set(name, lag);
    const { GROUP_JOIN, CRASH, STOP, DISCONNECT, END_BATCH_PROCESS } = consumer.events;
    consumer.on(GROUP_JOIN, () => {
      this.consumerStates.set(name, 'joined');
      // The assignment may have changed: a partition now someone else's would keep its last lag for ever.
      for (const partition of lag.keys()) this.consumerLag.remove({ consumer: name, partition: String(partition) });
      lag.clear();
    });
    // kafkajs restarts a consumer after a retriable crash; it is joined again at its next GROUP_JOIN.
    consumer.on(CRASH, () => void this.consumerStates.set(name, 'crashed'));
    consumer.on(STOP, () => void this.consumerStates.set(name, 'stopped'));
    consumer.on(DISCONNECT, () => void this.consumerStates.set(name, 'stopped'));
    consumer.on(END_BATCH_PROCESS, ({ payload }) => {
      let child = lag.get(payload.partition);
      if (!child) lag.set(payload.partition, (child = this.consumerLag.labels({ consumer: name, partition: String(payload.partition) })));
      child.set(Number(payload.offsetLag));
    });
  }

  /** Each watched consumer's membership, by name. */
  consumers(): Record<string, ConsumerState> {
    return Object.fromEntries(this.consumerStates);
  }

  /** The Prometheus text exposition: this app's metrics, then the process's. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const [own, ofProcess] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return { contentType: this.registry.contentType, body: `${own}\n${ofProcess}` };
  }
}
