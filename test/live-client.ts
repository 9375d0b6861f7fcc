import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GqlError } from './support';

// A graphql-ws client for the live streams (roomEvents, myEvents) in e2e and fault tests.

export const MY_EVENTS = `subscription {
  myEvents {
    __typename
    ... on RoomChanged { room { id name lastSeq lastReadSeq unreadCount lastMessage { seq body unreadBy } members { id } } }
    ... on RoomRemoved { roomId }
    ... on FriendChanged { user { id } friend }
    ... on PresenceChanged { user { id online lastSeenAt } }
    ... on AccountNotice { kind message }
  }
}`;

export type Event = { __typename: string; [key: string]: any };

const opened: Live[] = [];

/** One graphql-ws connection with one subscription, recording what arrives and how it ends. */
export class Live {
  readonly events: Event[] = [];
  errors: GqlError[] | null = null;
  completed = false;
  closed = false;
  private readonly client: Client;

  constructor(url: string, token: string) {
    this.client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { closed: () => void (this.closed = true) },
    });
    opened.push(this);
  }

  subscribe(query: string, field: string, variables: Record<string, unknown> = {}): this {
    this.client.subscribe<Record<string, Event>>(
      { query, variables },
      {
        next: ({ data, errors }) => {
          if (data) this.events.push(data[field]);
          if (errors) this.errors = errors as GqlError[];
        },
        error: (err) => void (this.errors = Array.isArray(err) ? (err as GqlError[]) : [{ message: String(err) }]),
        complete: () => void (this.completed = true),
      },
    );
    return this;
  }

  of(typename: string): Event[] {
    return this.events.filter((e) => e.__typename === typename);
  }

  close(): Promise<void> {
    return this.client.dispose() as Promise<void>;
  }
}
/** Closes every connection opened so far (for afterAll). */
export function closeAllLive(): Promise<unknown> {
  return Promise.all(opened.map((l) => l.close()));
}
