/** The two ways the UI talks to the gateway: fetch for queries and mutations, graphql-ws for live messages. */
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './gql/graphql';

const HTTP_URL = new URL('/graphql', location.href).toString();
const WS_URL = HTTP_URL.replace(/^http/, 'ws');

interface ApiErrorEntry {
  message: string;
  extensions?: { code?: unknown };
}

/** An error to show the user: the API's message and its extensions.code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }

  static from(errors: readonly ApiErrorEntry[]): ApiError {
    const [first] = errors;
    return new ApiError(first?.message ?? 'unknown error', String(first?.extensions?.code ?? 'UNKNOWN'));
  }
}

/** One query or mutation over HTTP; GraphQL errors and network failures become an ApiError. */
export async function request<R, V>(document: TypedDocumentString<R, V>, variables: V, token: string | null): Promise<R> {
  let response: Response;
  try {
    response = await fetch(HTTP_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw new ApiError('cannot reach the server', 'NETWORK_ERROR');
  }
  let body: { data?: R | null; errors?: ApiErrorEntry[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`unexpected answer from the server (HTTP ${response.status})`, 'BAD_RESPONSE');
  }
  if (body.errors?.length) throw ApiError.from(body.errors);
  if (!body.data) throw new ApiError(`no data in the answer (HTTP ${response.status})`, 'BAD_RESPONSE');
  return body.data;
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/** graphql-ws's Forbidden: the token is bad or was logged out; retrying cannot help. */
const CLOSE_FORBIDDEN = 4403;

interface Watch<T> {
  query: TypedDocumentString<T, { roomId: string; afterSeq: number }>;
  roomId: string;
  /** The seq to resume after: the last one shown. */
  afterSeq: () => number;
  onData: (data: T) => void;
  /** Set while subscribed on the current socket. */
  stop: (() => void) | null;
}

/**
 * One WebSocket per session, kept open and reconnected by graphql-ws with
 * backoff. graphql-ws would resubscribe with the variables it was first given;
 * a room is instead resubscribed on each new socket from the last seq shown,
 * so nothing is missed and nothing is sent twice.
 */
export class LiveConnection {
  private readonly client: Client;
  private watch: Watch<any> | null = null;
  private disposed = false;
  private connected = false;
  /** Subscriptions kept on every socket (myEvents), each with what to re-read once it is made again. */
  private readonly always: { query: TypedDocumentString<any, Record<string, never>>; onData: (data: any) => void; onConnected: () => void; stop: (() => void) | null }[] = [];

  constructor(
    token: string,
    private readonly onStatus: (status: LiveStatus) => void,
    private readonly onError: (error: ApiError) => void,
  ) {
    onStatus('connecting');
    this.client = createClient({
      url: WS_URL,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: Infinity,
      // Browsers report a refused connection as an error event, not a close: retry those too, but not a refused token.
      shouldRetry: (event) => (event as CloseEvent | undefined)?.code !== CLOSE_FORBIDDEN,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 8000) * (0.5 + Math.random() / 2))),
      onNonLazyError: (err) => this.fail(err),
      on: {
        connected: () => {
          this.connected = true;
          onStatus('live');
          if (this.watch && !this.watch.stop) this.subscribe(this.watch);
          for (const always of this.always) this.subscribeAlways(always);
        },
        closed: () => {
          if (this.disposed) return;
          this.connected = false;
          onStatus('reconnecting');
          // Drop the subscription with the socket; `connected` makes it again from the last seq shown.
          const stop = this.watch?.stop;
          if (this.watch) this.watch.stop = null;
          stop?.();
        },
      },
    });
  }

  /** Watches one room (instead of any other) from after `afterSeq()`, now and after every reconnect. */
  watchRoom<T>(query: Watch<T>['query'], roomId: string, afterSeq: () => number, onData: (data: T) => void): void {
    this.unwatch();
    this.watch = { query, roomId, afterSeq, onData, stop: null };
    this.subscribe(this.watch);
  }

  /**
   * Keeps `query` subscribed on every socket, now and after each reconnect.
   * It is live only: `onConnected` runs right after each subscribe, for the
   * caller to re-read what it shows (subscribed first, so nothing falls between).
   */
  watchAlways<T>(query: TypedDocumentString<T, Record<string, never>>, onData: (data: T) => void, onConnected: () => void): void {
    const always = { query, onData, onConnected, stop: null };
    this.always.push(always);
    if (this.connected) this.subscribeAlways(always);
  }

  private subscribeAlways(always: LiveConnection['always'][number]): void {
    always.stop?.();
    always.stop = this.client.subscribe(
      { query: always.query.toString() },
      {
        next: ({ data, errors }) => {
          if (errors?.length) this.onError(ApiError.from(errors));
          if (data) always.onData(data);
        },
        error: (err) => this.fail(err),
        complete: () => undefined,
      },
    );
    always.onConnected();
  }

  unwatch(): void {
    const stop = this.watch?.stop;
    this.watch = null;
    stop?.();
  }

  dispose(): void {
    this.disposed = true;
    this.unwatch();
    for (const always of this.always.splice(0)) always.stop?.();
    void this.client.dispose();
  }

  private subscribe<T>(watch: Watch<T>): void {
    // Only the latest subscription of the watched room speaks; one dropped with its socket may still complete later.
    const mine = () => this.watch === watch && watch.stop === stop;
    const stop = this.client.subscribe<T>(
      { query: watch.query.toString(), variables: { roomId: watch.roomId, afterSeq: watch.afterSeq() } },
      {
        next: ({ data, errors }) => {
          if (!mine()) return;
          if (errors?.length) this.onError(ApiError.from(errors));
          if (data) watch.onData(data as T);
        },
        error: (err) => {
          if (!mine()) return;
          this.watch = null;
          this.fail(err);
        },
        // The server ends it when the viewer left the room; nothing to resume.
        complete: () => void (mine() && (this.watch = null)),
      },
    );
    watch.stop = stop;
  }

  private fail(err: unknown): void {
    if (Array.isArray(err)) return this.onError(ApiError.from(err));
    const code = (err as CloseEvent | undefined)?.code;
    if (code === CLOSE_FORBIDDEN) return this.onError(new ApiError('the server refused the live connection (4403): log in again', 'UNAUTHENTICATED'));
    this.onError(new ApiError(`live connection failed${code ? ` (close code ${code})` : ''}`, 'NETWORK_ERROR'));
  }
}
