import type { Command, CommandEnvelope, CommandType } from '../contracts/commands';
import { UserError } from '../errors';
import * as account from '../store/commands/account';
import * as friends from '../store/commands/friends';
import * as messages from '../store/commands/messages';
import * as changes from '../store/commands/message-changes';
import * as moderation from '../store/commands/moderation';
import * as rooms from '../store/commands/rooms';
import type { Tx } from '../store/transaction';
import * as presence from '../store/commands/presence';
import { decideRecordLastSeen } from '../commands/presence';
import { decideLogout, decideRecordLogin, decideSignUp, decideUpdateStatus } from '../commands/account';
import type { Decide, Decision } from '../commands/decision';
import { decideAddFriend, decideBlockUser, decideRemoveFriend, decideUnblockUser } from '../commands/friends';
import { decideBookmark, decideSendChat } from '../commands/messages';
import { decideDeleteAccount, decideEndMute, decideMuteUser, decideReportMessage } from '../commands/moderation';
import { decideCreateRoom, decideInviteToRoom, decideLeaveRoom, decideMarkRead } from '../commands/rooms';
import { decideAddReaction, decideDeleteMessage, decideEditMessage, decideRemoveReaction } from '../commands/message-changes';

/**
 * How a command is handled: load (store reads, in the transaction) → decide
 * (pure) → apply (store writes of what was decided).
 */
interface Handler<T extends CommandType, S, W> {
  /** `now` is the transaction's time. */
  load(tx: Tx, command: CommandEnvelope<T>, now: string): Promise<S>;
  decide: Decide<T, S, W>;
  apply(tx: Tx, writes: W): Promise<void>;
}

/** Checks that the three parts of one handler fit together. */
const handler = <T extends CommandType, S, W>(h: Handler<T, S, W>) => h;
const nothingToLoad = async () => null;

// `any`: each handler's state and writes are its own; handler() checks that its three parts agree.
const HANDLERS: { [T in CommandType]: Handler<T, any, any> } = {
  SignUp: handler({ load: account.loadSignUp, decide: decideSignUp, apply: account.insertUser }),
  RecordLogin: handler({ load: nothingToLoad, decide: decideRecordLogin, apply: account.recordLogin }),
  Logout: handler({ load: nothingToLoad, decide: decideLogout, apply: account.revokeToken }),
  UpdateStatus: handler({ load: account.loadUpdateStatus, decide: decideUpdateStatus, apply: account.updateStatus }),
  AddFriend: handler({ load: friends.loadFriend, decide: decideAddFriend, apply: friends.insertFriendship }),
  RemoveFriend: handler({ load: friends.loadFriend, decide: decideRemoveFriend, apply: friends.deleteFriendship }),
  BlockUser: handler({ load: friends.loadBlock, decide: decideBlockUser, apply: friends.insertBlock }),
  UnblockUser: handler({ load: friends.loadUnblock, decide: decideUnblockUser, apply: friends.deleteBlock }),
  CreateRoom: handler({ load: rooms.loadCreateRoom, decide: decideCreateRoom, apply: rooms.insertRoom }),
  InviteToRoom: handler({ load: rooms.loadInvite, decide: decideInviteToRoom, apply: rooms.invite }),
  LeaveRoom: handler({ load: rooms.loadLeave, decide: decideLeaveRoom, apply: rooms.leave }),
  MarkRead: handler({ load: rooms.loadMarkRead, decide: decideMarkRead, apply: rooms.moveReadMarker }),
  SendChat: handler({ load: messages.loadSendChat, decide: decideSendChat, apply: messages.sendChat }),
  Bookmark: handler({ load: messages.loadBookmark, decide: decideBookmark, apply: messages.setBookmark }),
  EditMessage: handler({ load: changes.loadMessageChange, decide: decideEditMessage, apply: changes.applyMessageChange }),
  DeleteMessage: handler({ load: changes.loadMessageChange, decide: decideDeleteMessage, apply: changes.applyMessageChange }),
  AddReaction: handler({ load: changes.loadMessageChange, decide: decideAddReaction, apply: changes.applyMessageChange }),
  RemoveReaction: handler({ load: changes.loadMessageChange, decide: decideRemoveReaction, apply: changes.applyMessageChange }),
  ReportMessage: handler({ load: moderation.loadReport, decide: decideReportMessage, apply: moderation.insertReport }),
  MuteUser: handler({ load: moderation.loadMute, decide: decideMuteUser, apply: moderation.applyMute }),
  EndMute: handler({ load: moderation.loadEndMute, decide: decideEndMute, apply: moderation.endMute }),
  DeleteAccount: handler({ load: moderation.loadDeleteAccount, decide: decideDeleteAccount, apply: moderation.deleteAccount }),
  RecordLastSeen: handler({ load: nothingToLoad, decide: decideRecordLastSeen, apply: presence.recordLastSeen }),
};

/**
 * Handles one command in the worker's transaction: the decision, or the
 * UserError that refused it (then nothing was written).
 */
export async function handle(tx: Tx, command: Command, now: string): Promise<Decision<CommandType, unknown> | UserError> {
  const h = HANDLERS[command.type] as Handler<CommandType, unknown, unknown>;
  const decision = h.decide(command, await h.load(tx, command, now));
  if (decision instanceof UserError) return decision;
  if (decision.writes !== null) await h.apply(tx, decision.writes);
  return decision;
}
