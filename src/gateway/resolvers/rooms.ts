import { randomUUID } from 'node:crypto';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { badInput } from '../../errors';
import { LIMITS, checkId, checkMaxLength } from '../../rules';
import { requireViewer, type Context } from '../context';
import { loadRooms } from '../reads';
import { RoomType } from '../types';

@Resolver()
export class RoomResolver {
  @Query(() => [RoomType], { description: "The viewer's rooms, the most recently active first." })
  async rooms(@Ctx() ctx: Context): Promise<RoomType[]> {
    return loadRooms(ctx.em, requireViewer(ctx).userId);
  }

  @Query(() => RoomType, { nullable: true, description: 'Null, or FORBIDDEN, when the viewer is not a member.' })
  async room(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<RoomType | null> {
    const viewer = requireViewer(ctx);
    const [room] = await loadRooms(ctx.em, viewer.userId, checkId('id', id));
    return room ?? null;
  }

  @Mutation(() => RoomType, { description: 'Every member must be a friend of the creator; the creator is a member.' })
  async createRoom(
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Arg('memberIds', () => [ID]) memberIds: string[],
    @Ctx() ctx: Context,
  ): Promise<RoomType> {
    const viewer = requireViewer(ctx);
    const ids = memberIds.map((id) => checkId('memberIds', id));
    if (new Set([...ids, viewer.userId]).size > LIMITS.roomMembersMax) {
      throw badInput(`a room has at most ${LIMITS.roomMembersMax} members`);
    }
    const roomName = checkMaxLength('name', (name ?? '').trim(), LIMITS.roomNameMax) || 'New room';
    const roomId = randomUUID();
    await ctx.services.bus.send('CreateRoom', roomId, viewer.userId, { roomId, name: roomName, memberIds: ids });
    const [room] = await loadRooms(ctx.em, viewer.userId, roomId);
    if (!room) throw new Error(`room ${roomId} vanished after its command was applied`);
    return room;
  }
}
