import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { badInput } from '../../errors';
import { LIMITS, checkAttachment, checkId, checkMaxLength, checkMessageBody } from '../../rules';
import { requireViewer, type Context } from '../context';
import { HISTORY_PAGE, type ViewedMessage } from '../live';
import { loadBookmarks, loadMessages, messagesPage, requireMembership } from '../reads';
import { MessageConnectionType, MessageType, SendChatInput } from '../types';

async function setBookmark(ctx: Context, messageId: string, bookmarked: boolean): Promise<MessageType> {
  const viewer = requireViewer(ctx);
  const id = checkId('messageId', messageId);
  const { message } = await ctx.services.bus.send('Bookmark', viewer.userId, { messageId: id, bookmarked });
  return MessageType.from(message, bookmarked);
}

@Resolver()
export class MessageResolver {
  @Mutation(() => MessageType)
  async sendChat(@Arg('input', () => SendChatInput) input: SendChatInput, @Ctx() ctx: Context): Promise<MessageType> {
    const viewer = requireViewer(ctx);
    const roomId = checkId('roomId', input.roomId);
    const attachment = checkAttachment(input.attachment);
    const body = checkMessageBody(input.body, attachment !== null);
    const clientMessageId = input.clientMessageId ?? null;
    if (clientMessageId !== null) {
      checkMaxLength('clientMessageId', clientMessageId, LIMITS.clientMessageIdMax);
      if (clientMessageId.length === 0) throw badInput('clientMessageId must not be empty');
    }
    // Last before the command is produced: a refused send is not enqueued, and a malformed one costs no token.
    ctx.services.sendRate.take(viewer.userId);
    const { message, bookmarked } = await ctx.services.bus.send('SendChat', viewer.userId, {
      roomId,
      body,
      clientMessageId,
      attachment,
    });
    return MessageType.from(message, bookmarked);
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
  async bookmarks(@Ctx() ctx: Context): Promise<MessageType[]> {
    return loadBookmarks(ctx.em, requireViewer(ctx).userId);
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
    return messagesPage(ctx.em, viewer.userId, { roomId: checkId('roomId', roomId), first, after, last, before });
  }

  @Subscription(() => MessageType, {
    description:
      'New messages of a room, in seq order, for members only. With afterSeq, first\nevery stored message with seq > afterSeq, then live ones: no gap and no\nrepeat between the two, so a client that reconnects with the last seq it saw\nmisses nothing.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const viewer = requireViewer(ctx);
      const roomId = checkId('roomId', args.roomId as string);
      const afterSeq = (args.afterSeq as number | null | undefined) ?? null;
      if (afterSeq !== null && afterSeq < 0) throw badInput('afterSeq must not be negative');
      const orm = ctx.services.orm;
      // Not ctx.em: the context lives as long as the subscription, and an EntityManager would stay with it (a few KB each).
      const lastSeq = await requireMembership(orm.em.fork(), viewer.userId, roomId);
      if (afterSeq !== null && afterSeq > lastSeq) {
        throw badInput(`afterSeq ${afterSeq} is past the room's newest message (${lastSeq})`);
      }
      // Without afterSeq the stream starts after the newest message as of the membership check.
      return ctx.services.live.open(roomId, viewer.userId, afterSeq ?? lastSeq, (from, before) =>
        loadMessages(orm.em.fork(), roomId, viewer.userId, { afterSeq: from, beforeSeq: before, limit: HISTORY_PAGE, fromEnd: false }),
      );
    },
  })
  roomMessages(
    @Root() { message, bookmarked }: ViewedMessage,
    @Arg('roomId', () => ID) _roomId: string,
    @Arg('afterSeq', () => Int, { nullable: true }) _afterSeq: number | null,
  ): MessageType {
    return MessageType.from(message, bookmarked);
  }
}
