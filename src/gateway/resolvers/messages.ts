import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { LIMITS, checkAfterSeq, checkId, checkPageArgs, checkPageSize, checkSendChat } from '../../rules';
import type { ViewedMessage } from '../../contracts/records';
import { loadBookmarks, loadMessagePage, loadMessages, requireMembership } from '../../store/reads';
import { requireViewer, type Context } from '../context';
import { HISTORY_PAGE } from '../../live/room-stream';
import { MessageConnectionType, MessageType, SendChatInput } from '../types';

/**
 * A room's stream for roomMessages and roomEvents (`withLiveOnly`: the
 * live-only kinds too): membership checked, history then live.
 */
export async function openRoomStream(ctx: Context, args: Record<string, unknown>, withLiveOnly: boolean) {
  const viewer = requireViewer(ctx);
  const roomId = checkId('roomId', args.roomId as string);
  const orm = ctx.services.orm;
  // Not ctx.em: the context lives as long as the subscription, and an EntityManager would stay with it (a few KB each).
  // The router runs these reads within the subscriptions' share of the database pool.
  return ctx.services.live.openRoom(
    roomId,
    viewer.userId,
    {
      // Without afterSeq the stream starts after the newest message as of the membership check.
      start: async () => {
        const newestSeq = await requireMembership(orm.em.fork(), viewer.userId, roomId);
        return { afterSeq: checkAfterSeq(args.afterSeq as number | null | undefined, newestSeq), newestSeq };
      },
      history: (afterSeq, beforeSeq) =>
        loadMessages(orm.em.fork(), viewer.userId, roomId, { afterSeq, beforeSeq, limit: HISTORY_PAGE, fromEnd: false }),
    },
    withLiveOnly,
  );
}

async function setBookmark(ctx: Context, messageId: string, bookmarked: boolean): Promise<MessageType> {
  const viewer = requireViewer(ctx);
  const id = checkId('messageId', messageId);
  const { message } = await ctx.services.bus.send('Bookmark', viewer.userId, { messageId: id, bookmarked });
  return MessageType.from({ message, bookmarked });
}

@Resolver()
export class MessageResolver {
  @Mutation(() => MessageType)
  async sendChat(@Arg('input', () => SendChatInput) input: SendChatInput, @Ctx() ctx: Context): Promise<MessageType> {
    const viewer = requireViewer(ctx);
    const payload = checkSendChat(input);
    // Last before the command is produced: a refused send is not enqueued, and a malformed one costs no token.
    ctx.services.sendRate.take(viewer.userId);
    return MessageType.from(await ctx.services.bus.send('SendChat', viewer.userId, payload));
  }

  @Mutation(() => MessageType)
  async bookmarkMessage(@Arg('messageId', () => ID) messageId: string, @Ctx() ctx: Context): Promise<MessageType> {
    return setBookmark(ctx, messageId, true);
  }

  @Mutation(() => MessageType)
  async unbookmarkMessage(@Arg('messageId', () => ID) messageId: string, @Ctx() ctx: Context): Promise<MessageType> {
    return setBookmark(ctx, messageId, false);
  }

  @Query(() => [MessageType], { description: "The viewer's bookmarked messages, newest bookmark first." })
  async bookmarks(
    @Arg('first', () => Int, { nullable: true, description: `A page of at most this many (1-${LIMITS.pageMax}); all without it.` })
    first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The id of the last message of the previous page.' })
    after: string | null,
    @Ctx() ctx: Context,
  ): Promise<MessageType[]> {
    const viewerId = requireViewer(ctx).userId;
    const bookmarks = await loadBookmarks(ctx.em, viewerId, {
      first: first == null ? undefined : checkPageSize('first', first),
      after: after == null ? undefined : checkId('after', after),
    });
    return bookmarks.map((viewed) => MessageType.from(viewed));
  }

  @Query(() => MessageConnectionType, {
    description: 'History of a room the viewer belongs to; `last: 50` gives the newest 50.',
  })
  async messages(
    @Arg('roomId', () => ID) roomId: string,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('last', () => Int, { nullable: true }) last: number | null,
    @Arg('before', () => String, { nullable: true }) before: string | null,
    @Ctx() ctx: Context,
  ): Promise<MessageConnectionType> {
    const viewer = requireViewer(ctx);
    const range = checkPageArgs({ first, after, last, before });
    const { lastSeq, messages } = await loadMessagePage(ctx.em, viewer.userId, checkId('roomId', roomId), range);
    return MessageConnectionType.from(messages, lastSeq, range);
  }

  @Subscription(() => MessageType, {
    description:
      'New messages of a room, in seq order, for members only. With afterSeq, first\nevery stored message with seq > afterSeq, then live ones: no gap and no\nrepeat between the two, so a client that reconnects with the last seq it saw\nmisses nothing.',
    subscribe: ({ args, context }) => openRoomStream(context as Context, args, false),
  })
  roomMessages(
    @Root() viewed: ViewedMessage,
    @Arg('roomId', () => ID) _roomId: string,
    @Arg('afterSeq', () => Int, { nullable: true }) _afterSeq: number | null,
  ): MessageType {
    return MessageType.from(viewed);
  }
}
