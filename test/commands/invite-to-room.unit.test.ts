import { decideInviteToRoom, type InviteState } from '../../src/commands/rooms';
import { messageId } from '../../src/commands/decision';
import { ALICE, BOB, CAROL, NOW, ROOM, command, user } from './given';

const invite = (userIds: string[]) => command('InviteToRoom', ALICE, { roomId: ROOM, userIds });
const state = (overrides: Partial<InviteState> = {}): InviteState => ({
  room: { lastSeq: 7, isMember: true },
  memberIds: [ALICE],
  friendIds: [BOB, CAROL],
  roomCounts: {},
  users: [user(ALICE, 'Alice'), user(BOB, 'Bob'), user(CAROL, 'Carol')],
  now: NOW,
  ...overrides,
});

test('given a room at seq 7, when Alice invites Bob and Carol, then each joins at seq 7 and gets a SYSTEM message, 8 and 9', () => {
  const decision = decideInviteToRoom(invite([BOB, CAROL]), state());
  const system = (seq: number, id: string, who: string, n: number) => ({
    id: messageId('cmd-InviteToRoom', n),
    roomId: ROOM,
    seq,
    kind: 'SYSTEM',
    body: `Alice invited ${who}`,
    sender: null,
    attachment: null,
    clientMessageId: null,
    system: { event: 'INVITED', userId: id, byUserId: ALICE },
    createdAt: NOW,
    // Alice, Bob and Carol: nobody sent it and every marker is below it.
    unreadBy: 3,
  });
  const messages = [system(8, BOB, 'Bob', 0), system(9, CAROL, 'Carol', 1)];
  expect(decision).toEqual({
    result: { roomId: ROOM },
    events: [
      ...messages.map((message) => ({ v: 1, type: 'message', message })),
      // Bob's and Carol's myEvents start following the room.
      { v: 1, type: 'room-joined', userId: BOB, roomId: ROOM },
      { v: 1, type: 'room-joined', userId: CAROL, roomId: ROOM },
    ],
    writes: {
      roomId: ROOM,
      messages,
      newMembers: [
        { userId: BOB, lastReadSeq: 7 },
        { userId: CAROL, lastReadSeq: 7 },
      ],
    },
  });
});

test('given Bob is a member already, when Alice invites him, then nothing changes', () => {
  expect(decideInviteToRoom(invite([BOB]), state({ memberIds: [ALICE, BOB] }))).toEqual({ result: { roomId: ROOM }, events: [], writes: null });
});

test('given Carol is not her friend, when Alice invites her, then FORBIDDEN', () => {
  expect(decideInviteToRoom(invite([CAROL]), state({ friendIds: [BOB] }))).toMatchObject({ code: 'FORBIDDEN' });
});

test('given a room of 100, when Alice invites one more, then BAD_USER_INPUT', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => `m${i}`);
  expect(decideInviteToRoom(invite([BOB]), state({ memberIds: hundred }))).toMatchObject({ code: 'BAD_USER_INPUT' });
});

test('given no such room, or one Alice is not in, when she invites, then NOT_FOUND or FORBIDDEN', () => {
  expect(decideInviteToRoom(invite([BOB]), state({ room: null }))).toMatchObject({ code: 'NOT_FOUND' });
  expect(decideInviteToRoom(invite([BOB]), state({ room: { lastSeq: 7, isMember: false } }))).toMatchObject({ code: 'FORBIDDEN' });
});

test('given Carol is in the most rooms allowed, when Alice invites Bob and Carol, then BAD_USER_INPUT saying the limit, and nobody joins', () => {
  expect(decideInviteToRoom(invite([BOB, CAROL]), state({ roomCounts: { [BOB]: 1, [CAROL]: 500 } }))).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: `user ${CAROL} is in 500 rooms, the most allowed`,
  });
});
