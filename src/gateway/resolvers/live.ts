import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import { RECORD_VERSION } from '../../contracts/records';
import { notFound } from '../../errors';
import type { RoomItem } from '../../live/room-stream';
import type { UserItem } from '../../live/user-streams';
import { checkId } from '../../rules';
import { loadFriendIds, loadUser, requireMembership } from '../../store/reads';
import { requireViewer, type Context } from '../context';
import { RoomEventUnion, UserEventUnion, roomEventOf, userEventOf } from '../live-types';
import { DateTimeScalar } from '../scalars';
import { UserType } from '../types';
import { openRoomStream } from './messages';

/** Who may see a user's presence: the user and their friends. */
const FRIENDS_SEEN_FOR_MS = 10_000;
const friendCache = new WeakMap<Context, { at: number; ids: Promise<Set<string>> }>();

async function seesPresenceOf(ctx: Context, userId: string): Promise<boolean> {
  const viewer = ctx.viewer;
  if (!viewer) return false;
  if (viewer.userId === userId) return true;
  // The viewer's myEvents here keep their friends up to date: no read.
  const known = ctx.services.userStreams.friendsOf(viewer.userId);
  if (known) return known.has(userId);
  let cached = friendCache.get(ctx);
  // Once per request (a subscription's context lives long: read again after a while).
  if (!cached || Date.now() - cached.at > FRIENDS_SEEN_FOR_MS) {
    const ids = loadFriendIds(ctx.services.orm.em.fork(), viewer.userId).then((list) => new Set(list));
    cached = { at: Date.now(), ids };
    friendCache.set(ctx, cached);
  }
  return (await cached.ids).has(userId);
}

@Resolver(() => UserType)
export class PresenceResolver {
  @FieldResolver(() => Boolean, {
    description:
      'Whether the user has at least one open graphql-ws connection on any gateway\nnow. Shown to the user and their friends; always false for anyone else.',
  })
  async online(@Root() user: UserType, @Ctx() ctx: Context): Promise<boolean> {
    return (await seesPresenceOf(ctx, user.id)) && ctx.services.presence.isOnline(user.id);
  }

  @FieldResolver(() => DateTimeScalar, {
    nullable: true,
    description:
      "When the user's last connection closed (null while online, for users never\nconnected, and for viewers who are not their friends).",
  })
  async lastSeenAt(@Root() user: UserType & { lastSeenAt?: string | null }, @Ctx() ctx: Context): Promise<Date | null> {
    const { presence } = ctx.services;
    if (!(await seesPresenceOf(ctx, user.id)) || presence.isOnline(user.id)) return null;
    // What this gateway saw go is newer than the row it read (the store gets it a moment later).
    const seen = presence.wentOfflineAt(user.id);
    const stored = user.lastSeenAt ? new Date(user.lastSeenAt) : null;
    if (seen && (!stored || seen > stored)) return seen;
    return stored;
  }
}

@Resolver()
export class LiveResolver {
  @Subscription(() => RoomEventUnion, {
    description:
      'Everything that happens in a room, for members only. With afterSeq, first a\nMessageAdded for every stored message with seq > afterSeq, then live events;\nMessageAdded events keep roomMessages\' order and gap-free guarantee.\nMessageChanged, ReadMarkerMoved and TypingChanged are live only: after a\nreconnect, a client re-reads the page it shows with `messages`.',
    // As roomMessages, with the live-only kinds passed through.
    subscribe: ({ args, context }) => openRoomStream(context as Context, args, true),
  })
  roomEvents(
    @Root() item: RoomItem,
    @Arg('roomId', () => ID) _roomId: string,
    @Arg('afterSeq', () => Int, { nullable: true }) _afterSeq: number | null,
  ): ReturnType<typeof roomEventOf> {
    return roomEventOf(item);
  }

  @Subscription(() => UserEventUnion, {
    description:
      "The viewer's own stream, on every device they are connected with: room list\nchanges, friendships, friends' presence and account notices. Live only:\nafter a reconnect, re-read `rooms` and `friends` (subscribe first, then read).\nEnds when the viewer logs out with that token or deletes the account.",
    subscribe: async ({ context }) => {
      const ctx = context as Context;
      const viewer = requireViewer(ctx);
      return ctx.services.userStreams.open(viewer.userId, viewer.tokenId);
    },
  })
  myEvents(@Root() item: UserItem): ReturnType<typeof userEventOf> {
    return userEventOf(item);
  }

  @Mutation(() => Boolean, {
    description:
      'Tells the room the viewer is typing (or stopped), members only. Never\nstored: it reaches live subscribers only, and lapses 6 s after the last\n`typing: true` unless repeated.',
  })
  async setTyping(@Arg('roomId', () => ID) roomId: string, @Arg('typing', () => Boolean) typing: boolean, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const id = checkId('roomId', roomId);
    const signals = ctx.services.typing;
    signals.rate.take(viewer.userId);
    // A repeat within TYPING_REPEAT_MS is answered at once: no read, no produce.
    if (!signals.due(viewer.userId, id, typing)) return true;
    await requireMembership(ctx.em, viewer.userId, id);
    const found = await loadUser(ctx.em, viewer.userId, null);
    if (!found) throw notFound('your account no longer exists');
    const { email: _email, lastSeenAt: _lastSeen, ...user } = found;
    signals.sent(viewer.userId, id, typing);
    await ctx.services.publish({ v: RECORD_VERSION, type: 'typing', roomId: id, user, typing });
    return true;
  }
}


