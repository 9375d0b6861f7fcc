import { RECORD_VERSION } from '../contracts/records';
import { conflict, notFound } from '../errors';
import type { Decide } from './decision';

export interface SignUpState {
  usernameTaken: boolean;
}
export interface NewUser {
  id: string;
  username: string;
  passwordHash: string;
  displayName: string;
  email: string | null;
}

// Two sign-ups of one name at once: the unique index refuses the second, whose retry then finds the name taken.
export const decideSignUp: Decide<'SignUp', SignUpState, NewUser> = ({ payload }, state) => {
  if (state.usernameTaken) return conflict(`username "${payload.username}" is taken`);
  const { userId: id, username, passwordHash, displayName, email } = payload;
  return { result: { userId: id }, events: [], writes: { id, username, passwordHash, displayName, email } };
};

/** The user whose login or logout time is set to the transaction's time. */
export interface UserTouched {
  userId: string;
}

export const decideRecordLogin: Decide<'RecordLogin', null, UserTouched> = ({ actorId }) => ({
  result: { userId: actorId },
  events: [],
  writes: { userId: actorId },
});

export interface Revocation {
  userId: string;
  tokenId: string;
  expiresAt: string;
}

export const decideLogout: Decide<'Logout', null, Revocation> = ({ actorId: userId, payload }) => ({
  result: { userId },
  events: [{ v: RECORD_VERSION, type: 'session-ended', userId, tokenId: payload.tokenId }],
  writes: { userId, tokenId: payload.tokenId, expiresAt: payload.expiresAt },
});

export interface UpdateStatusState {
  userExists: boolean;
}
export interface StatusChange {
  userId: string;
  statusMessage: string;
}

export const decideUpdateStatus: Decide<'UpdateStatus', UpdateStatusState, StatusChange> = ({ actorId: userId, payload }, state) => {
  if (!state.userExists) return notFound('your account no longer exists');
  return { result: { userId }, events: [], writes: { userId, statusMessage: payload.statusMessage } };
};
