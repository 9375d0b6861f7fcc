import { COMMAND_TYPES, commandKey, parseCommand } from '../src/contracts/commands';
import { RecordFormatError, SESSIONS_CHANNEL, channelKey, eventRoute, userChannel, type MessageRecord, type PublicUser } from '../src/contracts/records';

const valid = {
  v: 1,
  id: 'c1',
  type: 'SendChat',
  actorId: '6f1d2b1e-0000-4000-8000-000000000001',
  deadline: Date.now() + 1000,
  payload: { roomId: '6f1d2b1e-0000-4000-8000-000000000002', body: 'hi', clientMessageId: null, attachment: null },
};

test('a well-formed command parses', () => {
  expect(parseCommand(Buffer.from(JSON.stringify(valid)))).toEqual(valid);
});

test.each([
  ['not JSON', 'not json {', /not JSON/],
  ['an array', '[1,2]', /not a JSON object/],
  ['an unknown type', JSON.stringify({ ...valid, type: 'DropTables' }), /unknown command type/],
  ['a missing payload field', JSON.stringify({ ...valid, payload: { ...valid.payload, body: undefined } }), /"body"/],
  ['a room id that is not a uuid', JSON.stringify({ ...valid, payload: { ...valid.payload, roomId: '1; drop' } }), /"roomId"/],
  ['no deadline', JSON.stringify({ ...valid, deadline: undefined }), /deadline/],
  ['a negative read marker', JSON.stringify({ ...valid, type: 'MarkRead', payload: { roomId: valid.payload.roomId, seq: -1 } }), /"seq"/],
  ['a bookmark without its flag', JSON.stringify({ ...valid, type: 'Bookmark', payload: { messageId: valid.payload.roomId } }), /"bookmarked"/],
  ['a command of a user without its actor', JSON.stringify({ ...valid, actorId: null }), /SendChat command has no valid actorId/],
  ['a sign-up with an actor', JSON.stringify({ ...valid, type: 'SignUp', payload: { userId: valid.actorId, username: 'a', passwordHash: 'h', displayName: 'A', email: null } }), /SignUp command has an actorId/],
  ['an attachment without a url', JSON.stringify({ ...valid, payload: { ...valid.payload, attachment: { name: 'a', contentType: 'text/plain', size: 1 } } }), /"attachment"/],
])('%s is a RecordFormatError', (_name, raw, reason) => {
  expect(() => parseCommand(Buffer.from(raw))).toThrow(RecordFormatError);
  expect(() => parseCommand(Buffer.from(raw))).toThrow(reason);
});

test("room messages are keyed and routed by their room; session ends all by one key, to every gateway's session channel", () => {
  const roomId = valid.payload.roomId;
  const message = { roomId, seq: 1 } as MessageRecord;
  expect(eventRoute({ v: 1, type: 'message', message })).toEqual({ key: roomId, channel: roomId });
  expect(eventRoute({ v: 1, type: 'session-ended', userId: valid.actorId, tokenId: 't1' })).toEqual({
    key: SESSIONS_CHANNEL,
    channel: SESSIONS_CHANNEL,
  });
});

test('a channel names the key of its events, so a gateway knows the partition to read', () => {
  const roomId = valid.payload.roomId;
  expect(channelKey(roomId)).toBe(eventRoute({ v: 1, type: 'message', message: { roomId, seq: 1 } as MessageRecord }).key);
  const friendChanged = { v: 1, type: 'friend-changed', userId: valid.actorId, friend: {} as PublicUser, isFriend: true } as const;
  expect(channelKey(userChannel(valid.actorId))).toBe(eventRoute(friendChanged).key);
  expect(channelKey(SESSIONS_CHANNEL)).toBe(eventRoute({ v: 1, type: 'account-deleted', userId: valid.actorId }).key);
});

test('each command is keyed by what must stay in order: a room by its room, an account by its user', () => {
  const roomId = valid.payload.roomId;
  const userId = valid.actorId;
  expect(COMMAND_TYPES).toHaveLength(23);
  expect(commandKey('SendChat', userId, valid.payload)).toBe(roomId);
  expect(commandKey('MarkRead', userId, { roomId, seq: 1 })).toBe(roomId);
  expect(commandKey('SignUp', null, { userId, username: 'a', passwordHash: 'h', displayName: 'A', email: null })).toBe(userId);
  expect(commandKey('Bookmark', userId, { messageId: roomId, bookmarked: true })).toBe(userId);
  expect(commandKey('BlockUser', userId, { userId: roomId })).toBe(userId);
  expect(commandKey('UnblockUser', userId, { userId: roomId })).toBe(userId);
  expect(commandKey('AddReaction', userId, { roomId, messageId: userId, emoji: '👍' })).toBe(roomId);
  // Moderation: a mute and its end by the muted user (no actor), a report and a deletion by the actor.
  expect(commandKey('MuteUser', null, { decisionId: roomId, userId, rule: 'flood', evidence: {}, evidenceAt: '2026-01-01T00:00:00Z', muteSeconds: 1 })).toBe(userId);
  expect(commandKey('EndMute', null, { decisionId: roomId, userId })).toBe(userId);
  expect(commandKey('ReportMessage', userId, { messageId: roomId, reason: 'r' })).toBe(userId);
  expect(commandKey('DeleteAccount', userId, {})).toBe(userId);
});
