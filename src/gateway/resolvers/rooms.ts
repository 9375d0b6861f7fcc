import { randomUUID } from 'node:crypto';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { badInput } from '../../errors';
import { LIMITS, checkId, checkMemberIds, checkPageSize, checkRoomName } from '../../rules';
import { loadRoom, loadRooms } from '../../store/reads';
import { requireViewer, type Context } from '../context';
import { RoomType } from '../types';

/** The room as the viewer sees it right after their command was applied. */
async function roomAfterCommand(ctx: Context, viewerId: string, roomId: string): Promise<RoomType> {
  const [room] = await loadRooms(ctx.em, viewerId, roomId);
  if (!room) throw new Error(`room ${roomId} is not the viewer's after their command was applied`);
  return RoomType.from(room);
}

@Resolver()
export class RoomResolver {
  @Query(() => [RoomType], { description: "The viewer's rooms, the most recently active first." })
  async rooms(
    // No `after`: the order changes with every message, so a cursor into it would skip or repeat rooms.
    @Arg('first', () => Int, {
      nullable: true,
      description: `Only the first this many (1-${LIMITS.pageMax}); all without it (at most ${LIMITS.roomsPerUserMax}).`,
    })
    first: number | null,
    @Ctx() ctx: Context,
  ): Promise<RoomType[]> {
    const viewerId = requireViewer(ctx).userId;
    const rooms = await loadRooms(ctx.em, viewerId, undefined, first == null ? undefined : checkPageSize('first', first));
    return rooms.map((room) => RoomType.from(room));
  }

  @Query(() => RoomType, { nullable: true, description: 'Null, or FORBIDDEN, when the viewer is not a member.' })
  async room(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<RoomType | null> {
    const room = await loadRoom(ctx.em, requireViewer(ctx).userId, checkId('id', id));
    return room && RoomType.from(room);
  }

  @Mutation(() => RoomType, { description: 'Every member must be a friend of the creator; the creator is a member.' })
  async createRoom(
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Arg('memberIds', () => [ID]) memberIds: string[],
    @Ctx() ctx: Context,
  ): Promise<RoomType> {
    const viewer = requireViewer(ctx);
    const ids = checkMemberIds('memberIds', memberIds, viewer.userId);
    const roomName = checkRoomName(name);
    ctx.services.socialRate.take(viewer.userId);
    const roomId = randomUUID();
    await ctx.services.bus.send('CreateRoom', viewer.userId, { roomId, name: roomName, memberIds: ids });
    return roomAfterCommand(ctx, viewer.userId, roomId);
  }

  @Mutation(() => RoomType, { description: 'Posts a SYSTEM message per new member.' })
  async inviteToRoom(
    @Arg('roomId', () => ID) roomId: string,
    @Arg('userIds', () => [ID]) userIds: string[],
    @Ctx() ctx: Context,
  ): Promise<RoomType> {
    const viewer = requireViewer(ctx);
    const id = checkId('roomId', roomId);
    const ids = checkMemberIds('userIds', userIds, viewer.userId);
    ctx.services.socialRate.take(viewer.userId);
    await ctx.services.bus.send('InviteToRoom', viewer.userId, { roomId: id, userIds: ids });
    return roomAfterCommand(ctx, viewer.userId, id);
  }

  @Mutation(() => Boolean, { description: 'Posts a SYSTEM message; the viewer stops receiving the room.' })
  async leaveRoom(@Arg('roomId', () => ID) roomId: string, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const id = checkId('roomId', roomId);
    await ctx.services.bus.send('LeaveRoom', viewer.userId, { roomId: id });
    return true;
  }

  @Mutation(() => RoomType, { description: "Moves the viewer's read marker forward (never back)." })
  async markRead(
    @Arg('roomId', () => ID) roomId: string,
    @Arg('seq', () => Int) seq: number,
    @Ctx() ctx: Context,
  ): Promise<RoomType> {
    const viewer = requireViewer(ctx);
    const id = checkId('roomId', roomId);
    if (seq < 0) throw badInput('seq must not be negative');
    await ctx.services.bus.send('MarkRead', viewer.userId, { roomId: id, seq });
    return roomAfterCommand(ctx, viewer.userId, id);
  }
}
