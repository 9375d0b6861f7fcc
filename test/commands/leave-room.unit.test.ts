import { messageId } from '../../src/commands/decision';
import { decideLeaveRoom } from '../../src/commands/rooms';
import { BOB, NOW, ROOM, command, user } from './given';

const leave = command('LeaveRoom', BOB, { roomId: ROOM });

test('given Bob in a room at seq 3, when he leaves, then he is removed and a SYSTEM message 4 says so', () => {
  const message = {
    id: messageId('cmd-LeaveRoom', 0),
    roomId: ROOM,
    seq: 4,
    kind: 'SYSTEM',
    body: 'Bob left',
    sender: null,
    attachment: null,
    clientMessageId: null,
    system: { event: 'LEFT', userId: BOB, byUserId: null },
    createdAt: NOW,
  };
  expect(decideLeaveRoom(leave, { room: { lastSeq: 3, isMember: true }, leaver: user(BOB, 'Bob'), now: NOW })).toEqual({
    result: { roomId: ROOM },
    events: [{ v: 1, type: 'message', message }],
    writes: { roomId: ROOM, userId: BOB, messages: [message] },
  });
});

test('given Bob is not in the room, when he leaves it, then FORBIDDEN; no such room: NOT_FOUND', () => {
  expect(decideLeaveRoom(leave, { room: { lastSeq: 3, isMember: false }, leaver: null, now: NOW })).toMatchObject({ code: 'FORBIDDEN' });
  expect(decideLeaveRoom(leave, { room: null, leaver: null, now: NOW })).toMatchObject({ code: 'NOT_FOUND' });
});
