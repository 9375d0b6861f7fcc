import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { notFound } from '../../errors';
import { checkId } from '../../rules';
import { loadFriends, loadUser } from '../../store/reads';
import { requireViewer, type Context } from '../context';
import { UserType } from '../types';

@Resolver()
export class FriendResolver {
  @Query(() => [UserType])
  async friends(@Ctx() ctx: Context): Promise<UserType[]> {
    const friends = await loadFriends(ctx.em, requireViewer(ctx).userId);
    return friends.map((friend) => UserType.from(friend));
  }

  @Mutation(() => UserType, { description: 'Friendship is mutual: both users see each other in `friends`.' })
  async addFriend(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<UserType> {
    const viewer = requireViewer(ctx);
    const friendId = checkId('userId', userId);
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
}
