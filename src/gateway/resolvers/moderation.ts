import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { REPORT_REASON_MAX } from '../../commands/moderation';
import { badInput, unauthenticated } from '../../errors';
import { checkId } from '../../rules';
import { findPasswordHash } from '../../store/reads';
import { requireViewer, type Context } from '../context';

@Resolver()
export class ModerationResolver {
  @Mutation(() => Boolean, {
    description: `Flags a message for the moderation observer, with a short reason (1-${REPORT_REASON_MAX} characters). Members only; reporting one message twice counts once.`,
  })
  async reportMessage(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const id = checkId('messageId', messageId);
    const trimmed = reason.trim();
    if (trimmed.length < 1 || trimmed.length > REPORT_REASON_MAX) throw badInput(`reason must be 1-${REPORT_REASON_MAX} characters`);
    await ctx.services.bus.send('ReportMessage', viewer.userId, { messageId: id, reason: trimmed });
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Deletes the account, after checking the password (wrong: UNAUTHENTICATED): every token stops working and every socket closes; the user leaves every room (the usual SYSTEM message); friendships, bookmarks, reports they made and read markers go; their messages stay with a null sender; the username becomes free.',
  })
  async deleteAccount(@Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const hash = await findPasswordHash(ctx.em, viewer.userId);
    if (!(await ctx.services.passwords.matches(hash, password))) throw unauthenticated('wrong password');
    await ctx.services.bus.send('DeleteAccount', viewer.userId, {});
    return true;
  }
}
