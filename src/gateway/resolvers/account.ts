import { randomUUID } from 'node:crypto';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { badInput, notFound, unauthenticated } from '../../errors';
import { LIMITS, checkId, checkMaxLength, checkPageSize, checkSignUp } from '../../rules';
import { findLogin, loadUser, searchUsers } from '../../store/reads';
import { requireViewer, type Context } from '../context';
import { AuthPayloadType, SignUpInput, UserType } from '../types';

async function authPayload(ctx: Context, userId: string): Promise<AuthPayloadType> {
  const user = await loadUser(ctx.em, userId, userId);
  if (!user) throw new Error(`user ${userId} vanished after its command was applied`);
  const { token, expiresAt } = await ctx.services.tokens.issue(userId);
  return Object.assign(new AuthPayloadType(), { token, expiresAt, user: UserType.from(user) });
}

@Resolver()
export class AccountResolver {
  @Mutation(() => AuthPayloadType, { description: 'CONFLICT when the username is taken.' })
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: Context): Promise<AuthPayloadType> {
    const { username, displayName, email } = checkSignUp(input);
    await ctx.services.authThrottles.signUp(ctx.clientAddress);
    const userId = randomUUID();
    // Only the hash travels through Kafka; the password never leaves this process.
    const passwordHash = await ctx.services.passwords.hash(input.password);
    await ctx.services.bus.send('SignUp', null, { userId, username, passwordHash, displayName, email });
    return authPayload(ctx, userId);
  }

  @Mutation(() => AuthPayloadType, {
    description: 'UNAUTHENTICATED, with one message for either wrong name or wrong password.',
  })
  async login(
    @Arg('username', () => String) username: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: Context,
  ): Promise<AuthPayloadType> {
    const name = username.trim().toLowerCase();
    const { authThrottles, passwords } = ctx.services;
    await authThrottles.login(ctx.clientAddress, name);
    const found = await findLogin(ctx.em, name);
    // Hashed even without such a user (matches takes null), so the answer's time does not tell which was wrong.
    const ok = await passwords.matches(found?.passwordHash ?? null, password);
    if (!found || !ok) {
      await authThrottles.loginFailed(name);
      throw unauthenticated('wrong username or password');
    }
    await authThrottles.loginSucceeded(name);
    const { userId } = found;
    await ctx.services.bus.send('RecordLogin', userId, { userId });
    return authPayload(ctx, userId);
  }

  @Mutation(() => Boolean, { description: 'Revokes the token it is called with; later use of it is UNAUTHENTICATED.' })
  async logout(@Ctx() ctx: Context): Promise<boolean> {
    const viewer = requireViewer(ctx);
    await ctx.services.bus.send('Logout', viewer.userId, {
      tokenId: viewer.tokenId,
      expiresAt: viewer.expiresAt.toISOString(),
    });
    return true;
  }

  @Mutation(() => UserType)
  async updateStatus(@Arg('statusMessage', () => String) statusMessage: string, @Ctx() ctx: Context): Promise<UserType> {
    const viewer = requireViewer(ctx);
    const status = checkMaxLength('statusMessage', statusMessage.trim(), LIMITS.statusMax);
    await ctx.services.bus.send('UpdateStatus', viewer.userId, { statusMessage: status });
    return this.me(ctx);
  }

  @Query(() => UserType)
  async me(@Ctx() ctx: Context): Promise<UserType> {
    const viewer = requireViewer(ctx);
    const user = await loadUser(ctx.em, viewer.userId, viewer.userId);
    if (!user) throw notFound('your account no longer exists');
    return UserType.from(user);
  }

  @Query(() => UserType, { nullable: true })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserType | null> {
    const viewer = requireViewer(ctx);
    const user = await loadUser(ctx.em, checkId('id', id), viewer.userId);
    return user && UserType.from(user);
  }

  @Query(() => [UserType], { description: 'Users whose username or display name starts with the query.' })
  async searchUsers(
    @Arg('query', () => String) query: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Ctx() ctx: Context,
  ): Promise<UserType[]> {
    const viewer = requireViewer(ctx);
    const prefix = checkMaxLength('query', query.trim(), LIMITS.displayNameMax);
    if (prefix.length === 0) throw badInput('query must not be empty');
    const users = await searchUsers(ctx.em, viewer.userId, prefix, checkPageSize('first', first ?? 20));
    return users.map((user) => UserType.from(user));
  }
}
