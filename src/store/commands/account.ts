import type { CommandEnvelope } from '../../contracts/commands';
import type { NewUser, Revocation, SignUpState, StatusChange, UpdateStatusState, UserTouched } from '../../commands/account';
import type { Tx } from '../transaction';

export async function loadSignUp(tx: Tx, { payload }: CommandEnvelope<'SignUp'>): Promise<SignUpState> {
  const [taken] = await tx.execute('select 1 from users where username = ?', [payload.username]);
  return { usernameTaken: Boolean(taken) };
}

export async function insertUser(tx: Tx, user: NewUser): Promise<void> {
  await tx.execute(
    `insert into users (id, username, password_hash, display_name, email, status_message, created_at)
     values (?, ?, ?, ?, ?, '', now())`,
    [user.id, user.username, user.passwordHash, user.displayName, user.email],
  );
}

export async function recordLogin(tx: Tx, { userId }: UserTouched): Promise<void> {
  await tx.execute('update users set last_login_at = now() where id = ?', [userId]);
}

export async function revokeToken(tx: Tx, { userId, tokenId, expiresAt }: Revocation): Promise<void> {
  await tx.execute('insert into revoked_tokens (token_id, user_id, expires_at) values (?, ?, ?) on conflict do nothing', [
    tokenId,
    userId,
    expiresAt,
  ]);
  await tx.execute('update users set last_logout_at = now() where id = ?', [userId]);
}

export async function loadUpdateStatus(tx: Tx, { actorId }: CommandEnvelope<'UpdateStatus'>): Promise<UpdateStatusState> {
  const [row] = await tx.execute('select 1 from users where id = ?', [actorId]);
  return { userExists: Boolean(row) };
}

export async function updateStatus(tx: Tx, { userId, statusMessage }: StatusChange): Promise<void> {
  await tx.execute('update users set status_message = ? where id = ?', [statusMessage, userId]);
}
