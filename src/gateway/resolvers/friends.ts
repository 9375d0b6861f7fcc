import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { notFound } from '../../errors';
import { LIMITS, checkId, checkMaxLength, checkPageSize } from '../../rules';
import { loadBlockedUsers, loadFriends, loadUser } from '../../store/reads';
import { requireViewer, type Context } from '../context';
import { UserType } from '../types';

@Resolver()
export class FriendResolver {
  @Query(() => [UserType])
  async friends(
    @Arg('first', () => Int, { nullable: true, description: `A page of at most this many (1-${LIMITS.pageMax}); all without it.` })
    first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The username of the last friend of the previous page.' })
    after: string | null,
    @Ctx() ctx: Context,
  ): Promise<UserType[]> {
    const viewer = requireViewer(ctx);
    const friends = await loadFriends(ctx.em, viewer.userId, {
      first: first == null ? undefined : checkPageSize('first', first),
      after: after == null ? undefined : checkMaxLength('after', after, LIMITS.usernameMax),
    });
    return friends.map((friend) => UserType.from(friend));
  }

  @Mutation(() => UserType, { description: 'Friendship is mutual: both users see each other in `friends`.' })
  async addFriend(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<UserType> {
    const viewer = requireViewer(ctx);
    const friendId = checkId('userId', userId);
    ctx.services.socialRate.take(viewer.userId);
    await ctx.services.bus.send('AddFriend', viewer.userId, { friendId });
    const friend = await loadUser(ctx.em, friendId, viewer.userId);
    if (!friend) throw notFound('no such user');
    return UserType.from(friend);
  }

  @Mutation(() => Boolean, { description: 'Ends the friendship for both; rooms you share stay as they are.' })
  async removeFriend(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const friendId = checkId('userId', userId);
    await ctx.services.bus.send('RemoveFriend', viewer.userId, { friendId });
    return true;
  }

  @Query(() => [UserType], { description: 'The users the viewer has blocked, the most recent first.' })
  async blockedUsers(@Ctx() ctx: Context): Promise<UserType[]> {
    const blocked = await loadBlockedUsers(ctx.em, requireViewer(ctx).userId);
    return blocked.map((user) => UserType.from(user));
  }

  @Mutation(() => Boolean, {
    description:
      'Blocks a user: it ends any friendship with them, and from then on they can\nneither befriend the viewer nor put the viewer in a room. Blocking twice\nchanges nothing.',
  })
  async blockUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    // Not rate-limited: blocking is how a user defends against a flood.
    await ctx.services.bus.send('BlockUser', viewer.userId, { userId: checkId('userId', userId) });
    return true;
  }

  @Mutation(() => Boolean)
  async unblockUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    await ctx.services.bus.send('UnblockUser', viewer.userId, { userId: checkId('userId', userId) });
    return true;
  }
}
