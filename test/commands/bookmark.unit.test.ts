import type { MessageRecord } from '../../src/contracts/records';
import { decideBookmark } from '../../src/worker/decisions/messages';
import { ALICE, ROOM, command } from './given';

const MESSAGE = '00000000-0000-4000-8000-00000000beef';
const message = { id: MESSAGE, roomId: ROOM, seq: 2 } as MessageRecord;
const bookmark = (bookmarked: boolean) => command('Bookmark', ALICE, { messageId: MESSAGE, bookmarked });

test('given a message in her room, when Alice bookmarks it or takes the bookmark off, then that is written and the message returned', () => {
  for (const bookmarked of [true, false]) {
    expect(decideBookmark(bookmark(bookmarked), { message, isMember: true })).toEqual({
      result: { message },
      events: [],
      writes: { userId: ALICE, messageId: MESSAGE, bookmarked },
    });
  }
});

test('given no such message, when Alice bookmarks it, then NOT_FOUND', () => {
  expect(decideBookmark(bookmark(true), { message: null, isMember: false })).toMatchObject({ code: 'NOT_FOUND' });
});

test('given a message of a room Alice is not in, when she bookmarks it, then FORBIDDEN', () => {
  expect(decideBookmark(bookmark(true), { message, isMember: false })).toMatchObject({ code: 'FORBIDDEN' });
});
