import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CommandEnvelope, CommandResults, CommandType, MessageEvent } from '../contracts/records';
import { RECORD_VERSION } from '../contracts/records';
import { badInput, conflict, forbidden, notFound } from '../errors';
import { LIMITS } from '../rules';
import { USER_COLUMNS, messageRecord, publicUser } from '../store/rows';

/** What applying a command yields: the reply's result and the room events to publish. */
export interface Outcome<T extends CommandType = CommandType> {
  result: CommandResults[T];
  events: MessageEvent[];
}

type Handler<T extends CommandType> = (tx: EntityManager, command: CommandEnvelope<T>) => Promise<Outcome<T>>;

const PG_UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === PG_UNIQUE_VIOLATION;

function requireActor(command: CommandEnvelope): string {
  if (!command.actorId) throw badInput('command has no actor');
  return command.actorId;
}

const signUp: Handler<'SignUp'> = async (tx, { payload }) => {
  try {
    await tx.execute(
      `insert into users (id, username, password_hash, display_name, email, status_message, created_at)
       values (?, ?, ?, ?, ?, '', now())`,
      [payload.userId, payload.username, payload.passwordHash, payload.displayName, payload.email],
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`username "${payload.username}" is taken`);
    throw err;
  }
  return { result: { userId: payload.userId }, events: [] };
};

const recordLogin: Handler<'RecordLogin'> = async (tx, command) => {
  const userId = requireActor(command);
  await tx.execute('update users set last_login_at = now() where id = ?', [userId]);
  return { result: { userId }, events: [] };
};

const addFriend: Handler<'AddFriend'> = async (tx, command) => {
  const userId = requireActor(command);
  const { friendId } = command.payload;
  if (friendId === userId) throw badInput('you cannot befriend yourself');
  const [friend] = await tx.execute('select id from users where id = ?', [friendId]);
  if (!friend) throw notFound('no such user');
  // Both directions, so friendship is mutual; befriending twice changes nothing.
  await tx.execute(
    `insert into friendships (user_id, friend_id, created_at) values (?, ?, now()), (?, ?, now())
     on conflict do nothing`,
    [userId, friendId, friendId, userId],
  );
  return { result: { friendId }, events: [] };
};

const createRoom: Handler<'CreateRoom'> = async (tx, command) => {
  const creatorId = requireActor(command);
  const { roomId, name } = command.payload;
  const others = [...new Set(command.payload.memberIds)].filter((id) => id !== creatorId);
  if (others.length + 1 > LIMITS.roomMembersMax) throw badInput(`a room has at most ${LIMITS.roomMembersMax} members`);
  if (others.length > 0) {
    const friends = await tx.execute(
      `select friend_id from friendships where user_id = ? and friend_id in (${others.map(() => '?').join(',')})`,
      [creatorId, ...others],
    );
    if (friends.length !== others.length) throw forbidden('every member must be a friend of the room creator');
  }
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

const sendChat: Handler<'SendChat'> = async (tx, command) => {
  const senderId = requireActor(command);
  const { roomId, body, clientMessageId, attachment } = command.payload;
  const [membership] = await tx.execute(
    `select r.id as room_id, m.user_id from rooms r left join room_members m on m.room_id = r.id and m.user_id = ?
     where r.id = ?`,
    [senderId, roomId],
  );
  if (!membership) throw notFound('no such room');
  if (!membership.user_id) throw forbidden('only members can write in this room');
  const [senderRow] = await tx.execute(`select ${USER_COLUMNS} from users where id = ?`, [senderId]);
  const sender = publicUser(senderRow);

  if (clientMessageId !== null) {
    // A resend of a message this room already has: answer with the first one, publish nothing.
    const [first] = await tx.execute('select * from messages where room_id = ? and client_message_id = ?', [
      roomId,
      clientMessageId,
    ]);
    if (first) return { result: { message: messageRecord(first, sender) }, events: [] };
  }
  // The room row's lock serializes numbering: seq is gap-free even if two workers ever overlap.
  const [{ last_seq: seq }] = await tx.execute(
    'update rooms set last_seq = last_seq + 1, last_activity_at = now() where id = ? returning last_seq',
    [roomId],
  );
  const [row] = await tx.execute(
    `insert into messages (id, room_id, seq, kind, body, sender_id, attachment, client_message_id, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, now()) returning *`,
    [
      randomUUID(),
      roomId,
      seq,
      attachment ? 'FILE' : 'TEXT',
      body,
      senderId,
      attachment ? JSON.stringify(attachment) : null,
      clientMessageId,
    ],
  );
  const message = messageRecord(row, sender);
  return { result: { message }, events: [{ v: RECORD_VERSION, type: 'message', message }] };
};

export const HANDLERS: { [T in CommandType]: Handler<T> } = {
  SignUp: signUp,
  RecordLogin: recordLogin,
  AddFriend: addFriend,
  CreateRoom: createRoom,
  SendChat: sendChat,
};
