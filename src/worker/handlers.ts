import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  AttachmentRecord,
  ChatEvent,
  CommandEnvelope,
  CommandResults,
  CommandType,
  MessageKind,
  MessageRecord,
  PublicUser,
  SystemEventRecord,
} from '../contracts/records';
import { RECORD_VERSION } from '../contracts/records';
import { badInput, conflict, forbidden, notFound } from '../errors';
import { LIMITS } from '../rules';
import { MESSAGE_WITH_SENDER, USER_COLUMNS, messageRecord, messageWithSender, publicUser } from '../store/rows';

/** What applying a command yields: the reply's result and the events to publish. */
export interface Outcome<T extends CommandType = CommandType> {
  result: CommandResults[T];
  events: ChatEvent[];
}

/**
 * Applies one command in the worker's transaction, which it shares with other
 * commands. A handler checks everything before it writes: a UserError it
 * throws must leave no write behind.
 */
type Handler<T extends CommandType> = (tx: EntityManager, command: CommandEnvelope<T>) => Promise<Outcome<T>>;

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');

function requireActor(command: CommandEnvelope): string {
  if (!command.actorId) throw badInput('command has no actor');
  return command.actorId;
}

/**
 * NOT_FOUND without the room, FORBIDDEN when the user is not a member; else the
 * room's lastSeq. With `lock`, the room row stays locked until the transaction
 * ends, so membership changes of one room are applied one at a time.
 */
async function requireMember(tx: EntityManager, roomId: string, userId: string, lock = false): Promise<number> {
  const [row] = await tx.execute(
    `select r.last_seq, m.user_id from rooms r left join room_members m on m.room_id = r.id and m.user_id = ?
     where r.id = ? ${lock ? 'for update of r' : ''}`,
    [userId, roomId],
  );
  if (!row) throw notFound('no such room');
  if (!row.user_id) throw forbidden('only members of this room can do that');
  return Number(row.last_seq);
}

async function loadPublicUsers(tx: EntityManager, ids: string[]): Promise<Map<string, PublicUser>> {
  const rows = await tx.execute(`select ${USER_COLUMNS} from users where id in (${placeholders(ids.length)})`, ids);
  return new Map(rows.map((row) => [String(row.id), publicUser(row)]));
}

interface NewMessage {
  kind: MessageKind;
  body: string;
  sender: PublicUser | null;
  attachment?: AttachmentRecord | null;
  clientMessageId?: string | null;
  system?: SystemEventRecord | null;
}

/** Appends a message to a room. The room row's lock serializes numbering: seq stays gap-free even if two workers overlap. */
async function appendMessage(tx: EntityManager, roomId: string, m: NewMessage): Promise<MessageRecord> {
  const [{ last_seq: seq }] = await tx.execute(
    'update rooms set last_seq = last_seq + 1, last_activity_at = now() where id = ? returning last_seq',
    [roomId],
  );
  const [row] = await tx.execute(
    `insert into messages (id, room_id, seq, kind, body, sender_id, attachment, client_message_id, system, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, now()) returning *`,
    [
      randomUUID(),
      roomId,
      seq,
      m.kind,
      m.body,
      m.sender?.id ?? null,
      m.attachment ? JSON.stringify(m.attachment) : null,
      m.clientMessageId ?? null,
      m.system ? JSON.stringify(m.system) : null,
    ],
  );
  return messageRecord(row, m.sender);
}

const messageEvent = (message: MessageRecord): ChatEvent => ({ v: RECORD_VERSION, type: 'message', message });

const signUp: Handler<'SignUp'> = async (tx, { payload }) => {
  const [taken] = await tx.execute('select 1 from users where username = ?', [payload.username]);
  if (taken) throw conflict(`username "${payload.username}" is taken`);
  // Two sign-ups of one name at once: the unique index refuses the second, whose retry then finds the name taken.
  await tx.execute(
    `insert into users (id, username, password_hash, display_name, email, status_message, created_at)
     values (?, ?, ?, ?, ?, '', now())`,
    [payload.userId, payload.username, payload.passwordHash, payload.displayName, payload.email],
  );
  return { result: { userId: payload.userId }, events: [] };
};

const recordLogin: Handler<'RecordLogin'> = async (tx, command) => {
  const userId = requireActor(command);
  await tx.execute('update users set last_login_at = now() where id = ?', [userId]);
  return { result: { userId }, events: [] };
};

const logout: Handler<'Logout'> = async (tx, command) => {
  const userId = requireActor(command);
  const { tokenId, expiresAt } = command.payload;
  await tx.execute(
    'insert into revoked_tokens (token_id, user_id, expires_at) values (?, ?, ?) on conflict do nothing',
    [tokenId, userId, expiresAt],
  );
  await tx.execute('update users set last_logout_at = now() where id = ?', [userId]);
  // Every gateway closes the sockets opened with this token.
  return { result: { userId }, events: [{ v: RECORD_VERSION, type: 'session-ended', userId, tokenId }] };
};

const updateStatus: Handler<'UpdateStatus'> = async (tx, command) => {
  const userId = requireActor(command);
  const updated = await tx.execute('update users set status_message = ? where id = ? returning id', [
    command.payload.statusMessage,
    userId,
  ]);
  if (updated.length === 0) throw notFound('your account no longer exists');
  return { result: { userId }, events: [] };
};

async function requireOtherUser(tx: EntityManager, userId: string, otherId: string): Promise<void> {
  if (otherId === userId) throw badInput('you cannot befriend yourself');
  const [other] = await tx.execute('select id from users where id = ?', [otherId]);
  if (!other) throw notFound('no such user');
}

const addFriend: Handler<'AddFriend'> = async (tx, command) => {
  const userId = requireActor(command);
  const { friendId } = command.payload;
  await requireOtherUser(tx, userId, friendId);
  // Both directions, so friendship is mutual; befriending twice changes nothing. Always in the same
  // order, so two users befriending each other at once do not deadlock.
  const [first, second] = [userId, friendId].sort();
  await tx.execute(
    `insert into friendships (user_id, friend_id, created_at) values (?, ?, now()), (?, ?, now())
     on conflict do nothing`,
    [first, second, second, first],
  );
  return { result: { friendId }, events: [] };
};

const removeFriend: Handler<'RemoveFriend'> = async (tx, command) => {
  const userId = requireActor(command);
  const { friendId } = command.payload;
  await requireOtherUser(tx, userId, friendId);
  // Both directions; removing someone who is not a friend changes nothing. Shared rooms stay.
  await tx.execute(
    'delete from friendships where (user_id = ? and friend_id = ?) or (user_id = ? and friend_id = ?)',
    [userId, friendId, friendId, userId],
  );
  return { result: { friendId }, events: [] };
};

/** FORBIDDEN unless every one of `ids` is a friend of `userId`. */
async function requireFriends(tx: EntityManager, userId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const friends = await tx.execute(
    `select friend_id from friendships where user_id = ? and friend_id in (${placeholders(ids.length)})`,
    [userId, ...ids],
  );
  if (friends.length !== ids.length) throw forbidden('only your friends can be added to a room');
}

const createRoom: Handler<'CreateRoom'> = async (tx, command) => {
  const creatorId = requireActor(command);
  const { roomId, name } = command.payload;
  const others = [...new Set(command.payload.memberIds)].filter((id) => id !== creatorId);
  if (others.length + 1 > LIMITS.roomMembersMax) throw badInput(`a room has at most ${LIMITS.roomMembersMax} members`);
  await requireFriends(tx, creatorId, others);
  await tx.execute(`insert into rooms (id, name, created_at, last_seq, last_activity_at) values (?, ?, now(), 0, now())`, [
    roomId,
    name,
  ]);
  const members = [creatorId, ...others];
  await tx.execute(
    `insert into room_members (room_id, user_id, last_read_seq, joined_at) values ${members.map(() => '(?, ?, 0, now())').join(',')}`,
    members.flatMap((userId) => [roomId, userId]),
  );
  return { result: { roomId }, events: [] };
};

const inviteToRoom: Handler<'InviteToRoom'> = async (tx, command) => {
  const inviterId = requireActor(command);
  const { roomId } = command.payload;
  await requireMember(tx, roomId, inviterId, true);
  const members = await tx.execute('select user_id from room_members where room_id = ?', [roomId]);
  const current = new Set(members.map((row) => String(row.user_id)));
  // Inviting someone who is a member already changes nothing.
  const joining = [...new Set(command.payload.userIds)].filter((id) => !current.has(id));
  if (joining.length === 0) return { result: { roomId }, events: [] };
  await requireFriends(tx, inviterId, joining);
  if (current.size + joining.length > LIMITS.roomMembersMax) {
    throw badInput(`a room has at most ${LIMITS.roomMembersMax} members; this one has ${current.size}`);
  }
  // A newcomer's read marker starts at the invitation: what was said before is history, not unread.
  await tx.execute(
    `insert into room_members (room_id, user_id, last_read_seq, joined_at)
     select ?, id, (select last_seq from rooms where id = ?), now() from users where id in (${placeholders(joining.length)})`,
    [roomId, roomId, ...joining],
  );
  const users = await loadPublicUsers(tx, [inviterId, ...joining]);
  const inviter = users.get(inviterId)!;
  const events: ChatEvent[] = [];
  for (const userId of joining) {
    const message = await appendMessage(tx, roomId, {
      kind: 'SYSTEM',
      body: `${inviter.displayName} invited ${users.get(userId)!.displayName}`,
      sender: null,
      system: { event: 'INVITED', userId, byUserId: inviterId },
    });
    events.push(messageEvent(message));
  }
  return { result: { roomId }, events };
};

const leaveRoom: Handler<'LeaveRoom'> = async (tx, command) => {
  const userId = requireActor(command);
  const { roomId } = command.payload;
  await requireMember(tx, roomId, userId, true);
  await tx.execute('delete from room_members where room_id = ? and user_id = ?', [roomId, userId]);
  const leaver = (await loadPublicUsers(tx, [userId])).get(userId)!;
  // The leaver's live streams end when they reach this message.
  const message = await appendMessage(tx, roomId, {
    kind: 'SYSTEM',
    body: `${leaver.displayName} left`,
    sender: null,
    system: { event: 'LEFT', userId, byUserId: null },
  });
  return { result: { roomId }, events: [messageEvent(message)] };
};

const markRead: Handler<'MarkRead'> = async (tx, command) => {
  const userId = requireActor(command);
  const { roomId, seq } = command.payload;
  const lastSeq = await requireMember(tx, roomId, userId);
  if (seq > lastSeq) throw badInput(`seq ${seq} is past the room's newest message (${lastSeq})`);
  // The marker only moves forward: a late or repeated markRead never un-reads messages.
  await tx.execute(
    'update room_members set last_read_seq = greatest(last_read_seq, ?) where room_id = ? and user_id = ?',
    [seq, roomId, userId],
  );
  return { result: { roomId }, events: [] };
};

const sendChat: Handler<'SendChat'> = async (tx, command) => {
  const senderId = requireActor(command);
  const { roomId, body, clientMessageId, attachment } = command.payload;
  await requireMember(tx, roomId, senderId);
  const sender = (await loadPublicUsers(tx, [senderId])).get(senderId)!;

  if (clientMessageId !== null) {
    // A resend of a message this room already has: answer with the first one, publish nothing.
    const [first] = await tx.execute(
      `select m.*, exists (select 1 from bookmarks b where b.message_id = m.id and b.user_id = ?) as bookmarked
       from messages m where m.room_id = ? and m.client_message_id = ?`,
      [senderId, roomId, clientMessageId],
    );
    if (first) return { result: { message: messageRecord(first, sender), bookmarked: Boolean(first.bookmarked) }, events: [] };
  }
  const message = await appendMessage(tx, roomId, {
    kind: attachment ? 'FILE' : 'TEXT',
    body,
    sender,
    attachment,
    clientMessageId,
  });
  return { result: { message, bookmarked: false }, events: [messageEvent(message)] };
};

const bookmark: Handler<'Bookmark'> = async (tx, command) => {
  const userId = requireActor(command);
  const { messageId, bookmarked } = command.payload;
  const [row] = await tx.execute(`select ${MESSAGE_WITH_SENDER} where m.id = ?`, [messageId]);
  if (!row) throw notFound('no such message');
  await requireMember(tx, String(row.room_id), userId);
  if (bookmarked) {
    // Bookmarking twice keeps the first bookmark (and its place in `bookmarks`).
    await tx.execute('insert into bookmarks (user_id, message_id, created_at) values (?, ?, now()) on conflict do nothing', [
      userId,
      messageId,
    ]);
  } else {
    await tx.execute('delete from bookmarks where user_id = ? and message_id = ?', [userId, messageId]);
  }
  return { result: { message: messageWithSender(row) }, events: [] };
};

export const HANDLERS: { [T in CommandType]: Handler<T> } = {
  SignUp: signUp,
  RecordLogin: recordLogin,
  Logout: logout,
  UpdateStatus: updateStatus,
  AddFriend: addFriend,
  RemoveFriend: removeFriend,
  CreateRoom: createRoom,
  InviteToRoom: inviteToRoom,
  LeaveRoom: leaveRoom,
  MarkRead: markRead,
  SendChat: sendChat,
  Bookmark: bookmark,
};
