import { decideMarkRead } from '../../src/commands/rooms';
import { ALICE, ROOM, command, user } from './given';

const markRead = (seq: number) => command('MarkRead', ALICE, { roomId: ROOM, seq });
const member = { room: { lastSeq: 5, isMember: true } };

test('given a room at seq 5, when Alice marks 5 read, then her marker moves to 5 (the store never moves it back)', () => {
  expect(decideMarkRead(markRead(5), member)).toEqual({ result: { roomId: ROOM }, events: [], writes: { roomId: ROOM, userId: ALICE, seq: 5 } });
});

test('given a room at seq 5, when Alice marks 6 read, then BAD_USER_INPUT', () => {
  expect(decideMarkRead(markRead(6), member)).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: "seq 6 is past the room's newest message (5)",
  });
});

test('given a room Alice is not in, when she marks it read, then FORBIDDEN', () => {
  expect(decideMarkRead(markRead(1), { room: { lastSeq: 5, isMember: false } })).toMatchObject({ code: 'FORBIDDEN' });
});

const loaded = (lastReadSeq: number) => ({ room: { lastSeq: 5, isMember: true }, lastReadSeq, user: user(ALICE, 'Alice') });

test('given Alice has read up to 2, when she marks 4 read, then her marker moves and the room hears ReadMarkerMoved from 2 to 4', () => {
  expect(decideMarkRead(markRead(4), loaded(2))).toEqual({
    result: { roomId: ROOM },
    events: [{ v: 1, type: 'read-marker-moved', roomId: ROOM, user: user(ALICE, 'Alice'), lastReadSeq: 4, previousReadSeq: 2 }],
    writes: { roomId: ROOM, userId: ALICE, seq: 4 },
  });
});

test('given Alice has read up to 4, when she marks 3 (or 4) read, then nothing changes and nobody is told', () => {
  expect(decideMarkRead(markRead(3), loaded(4))).toEqual({ result: { roomId: ROOM }, events: [], writes: null });
  expect(decideMarkRead(markRead(4), loaded(4))).toEqual({ result: { roomId: ROOM }, events: [], writes: null });
});
