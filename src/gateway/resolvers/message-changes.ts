import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { CommandType } from '../../contracts/commands';
import type { MessageRecord } from '../../contracts/records';
import { notFound } from '../../errors';
import { checkEditBody, checkEmoji, checkSearchQuery } from '../../message-rules';
import { LIMITS, checkId, checkPageSize } from '../../rules';
import { isBookmarked, messageRoomId, searchMessages } from '../../store/message-reads';
import { requireViewer, type Context } from '../context';
import { MessageConnectionType, MessageType } from '../types';

type ChangeType = Extract<CommandType, 'EditMessage' | 'DeleteMessage' | 'AddReaction' | 'RemoveReaction'>;

/**
 * Sends a change of a message, keyed by its room (read here: the command must
 * be ordered with the room's messages). A change is a write like sendChat and
 * takes from the same per-user rate.
 */
async function change<T extends ChangeType>(
  ctx: Context,
  type: T,
  messageId: string,
  fields: T extends 'EditMessage' ? { body: string } : T extends 'DeleteMessage' ? Record<string, never> : { emoji: string },
): Promise<MessageType> {
  const viewer = requireViewer(ctx);
  const id = checkId('messageId', messageId);
  const roomId = await messageRoomId(ctx.em, id);
  if (!roomId) throw notFound('no such message');
  ctx.services.sendRate.take(viewer.userId);
  // Every change command has the same result ({ message }); the cast only merges their payload types.
  const send = ctx.services.bus.send.bind(ctx.services.bus) as (type: ChangeType, actorId: string, payload: object) => Promise<{ message: MessageRecord }>;
  const { message } = await send(type, viewer.userId, { roomId, messageId: id, ...fields });
  // The worker's reply is the same for every viewer: the viewer's own bookmark is read here.
  return MessageType.from({ message, bookmarked: await isBookmarked(ctx.em, viewer.userId, id) });
}

@Resolver()
export class MessageChangeResolver {
  @Mutation(() => MessageType, { description: 'Only the sender, only TEXT and FILE messages, not once deleted; same limits as sendChat.' })
  async editMessage(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('body', () => String) body: string,
    @Ctx() ctx: Context,
  ): Promise<MessageType> {
    requireViewer(ctx); // UNAUTHENTICATED before any check of the input
    return change(ctx, 'EditMessage', messageId, { body: checkEditBody(body) });
  }

  @Mutation(() => MessageType, { description: 'Only the sender. Keeps the seq; the body and attachment are gone for everyone.' })
  async deleteMessage(@Arg('messageId', () => ID) messageId: string, @Ctx() ctx: Context): Promise<MessageType> {
    return change(ctx, 'DeleteMessage', messageId, {});
  }

  @Mutation(() => MessageType, {
    description: 'Members only. Reacting twice with one emoji changes nothing; at most 20 distinct emoji per message.',
  })
  async addReaction(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('emoji', () => String) emoji: string,
    @Ctx() ctx: Context,
  ): Promise<MessageType> {
    requireViewer(ctx); // UNAUTHENTICATED before any check of the input
    return change(ctx, 'AddReaction', messageId, { emoji: checkEmoji(emoji) });
  }

  @Mutation(() => MessageType)
  async removeReaction(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('emoji', () => String) emoji: string,
    @Ctx() ctx: Context,
  ): Promise<MessageType> {
    requireViewer(ctx); // UNAUTHENTICATED before any check of the input
    return change(ctx, 'RemoveReaction', messageId, { emoji: checkEmoji(emoji) });
  }

  @Query(() => MessageConnectionType, {
    description:
      "Full-text search over the messages of the viewer's rooms (or of one room),\nbest match first, deleted messages excluded. Words match their inflected\nforms; the query is plain text, never a query language. first: 1-100.",
  })
  async searchMessages(
    @Arg('query', () => String) query: string,
    @Arg('roomId', () => ID, { nullable: true }) roomId: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: LIMITS.searchPageDefault }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<MessageConnectionType> {
    const viewer = requireViewer(ctx);
    const page = await searchMessages(ctx.em, viewer.userId, checkSearchQuery(query), {
      roomId: roomId == null ? null : checkId('roomId', roomId),
      first: checkPageSize('first', first ?? LIMITS.searchPageDefault),
      after: after ?? null,
    });
    const cursors = page.hits.map((hit) => hit.cursor);
    return {
      edges: page.hits.map((hit) => ({ cursor: hit.cursor, node: MessageType.from(hit.viewed) })),
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: after != null,
        startCursor: cursors[0] ?? null,
        endCursor: cursors[cursors.length - 1] ?? null,
      },
    };
  }
}
