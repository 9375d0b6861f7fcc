import { decideCreateRoom } from '../../src/commands/rooms';
import { ALICE, BOB, CAROL, ROOM, command } from './given';

const create = (memberIds: string[]) => command('CreateRoom', ALICE, { roomId: ROOM, name: 'lunch', memberIds });

test('given Alice is friends with Bob, when she creates a room with him, then the room has both, the creator first', () => {
  expect(decideCreateRoom(create([BOB, BOB, ALICE]), { friendIds: [BOB], roomCounts: {} })).toEqual({
    result: { roomId: ROOM },
    // Each member's myEvents (on every device) start following the room.
    events: [
      { v: 1, type: 'room-joined', userId: ALICE, roomId: ROOM },
      { v: 1, type: 'room-joined', userId: BOB, roomId: ROOM },
    ],
    writes: { roomId: ROOM, name: 'lunch', memberIds: [ALICE, BOB] },
  });
});

test('given Carol is not her friend, when Alice creates a room with Bob and Carol, then FORBIDDEN', () => {
  expect(decideCreateRoom(create([BOB, CAROL]), { friendIds: [BOB], roomCounts: {} })).toMatchObject({ code: 'FORBIDDEN' });
});

test('when a room would have more than 100 members, then BAD_USER_INPUT', () => {
  const many = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  expect(decideCreateRoom(create(many), { friendIds: many, roomCounts: {} })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'a room has at most 100 members',
  });
});

test('given Bob is in the most rooms allowed, when Alice creates a room with him, then BAD_USER_INPUT saying the limit', () => {
  expect(decideCreateRoom(create([BOB]), { friendIds: [BOB], roomCounts: { [ALICE]: 3, [BOB]: 500 } })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: `user ${BOB} is in 500 rooms, the most allowed`,
  });
});

test('given Alice is in the most rooms allowed, when she creates one more, then BAD_USER_INPUT saying the limit', () => {
  expect(decideCreateRoom(create([]), { friendIds: [], roomCounts: { [ALICE]: 500 } })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you are in 500 rooms, the most allowed; leave one first',
  });
});

test('given Bob is in one room fewer than the most allowed, when Alice creates a room with him, then it is created', () => {
  expect(decideCreateRoom(create([BOB]), { friendIds: [BOB], roomCounts: { [BOB]: 499 } })).toMatchObject({ writes: { memberIds: [ALICE, BOB] } });
});
