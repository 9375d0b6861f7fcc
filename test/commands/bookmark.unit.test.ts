import type { MessageRecord } from '../../src/contracts/records';
import { decideBookmark } from '../../src/commands/messages';
import { ALICE, ROOM, command } from './given';

const MESSAGE = '00000000-0000-4000-8000-00000000beef';
const message = { id: MESSAGE, roomId: ROOM, seq: 2 } as MessageRecord;
const bookmark = (bookmarked: boolean) => command('Bookmark', ALICE, { messageId: MESSAGE, bookmarked });

test('given a message in her room, when Alice bookmarks it or takes the bookmark off, then that is written and the message returned', () => {
  for (const bookmarked of [true, false]) {
    expect(decideBookmark(bookmark(bookmarked), { message, isMember: true, alreadyBookmarked: false, bookmarkCount: 0 })).toEqual({
      result: { message },
      events: [],
      writes: { userId: ALICE, messageId: MESSAGE, bookmarked },
    });
  }
});

test('given no such message, when Alice bookmarks it, then NOT_FOUND', () => {
  expect(decideBookmark(bookmark(true), { message: null, isMember: false, alreadyBookmarked: false, bookmarkCount: 0 })).toMatchObject({ code: 'NOT_FOUND' });
});

test('given a message of a room Alice is not in, when she bookmarks it, then FORBIDDEN', () => {
  expect(decideBookmark(bookmark(true), { message, isMember: false, alreadyBookmarked: false, bookmarkCount: 0 })).toMatchObject({ code: 'FORBIDDEN' });
});

test('given Alice has the most bookmarks allowed, when she bookmarks one more, then BAD_USER_INPUT saying the limit', () => {
  expect(decideBookmark(bookmark(true), { message, isMember: true, alreadyBookmarked: false, bookmarkCount: 1000 })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you have 1000 bookmarks, the most allowed; remove one first',
  });
});

test('given Alice has the most bookmarks allowed, when she bookmarks one of them again or takes one off, then that is allowed', () => {
  for (const [bookmarked, alreadyBookmarked] of [[true, true], [false, true]]) {
    expect(decideBookmark(bookmark(bookmarked), { message, isMember: true, alreadyBookmarked, bookmarkCount: 1000 })).toMatchObject({
      writes: { bookmarked },
    });
  }
});
