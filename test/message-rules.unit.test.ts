import { checkEmoji, checkSearchQuery } from '../src/message-rules';

test('an emoji is one grapheme cluster that is an emoji: ZWJ sequences, skin tones, flags and keycaps count as one', () => {
  for (const emoji of ['👍', '❤️', '👩‍👩‍👧‍👦', '👍🏽', '🇫🇷', '1️⃣', '❤']) expect(checkEmoji(emoji)).toBe(emoji);
});

test('anything else is BAD_USER_INPUT: text, two emoji, a plain digit, nothing', () => {
  for (const bad of ['a', 'ok', '👍👍', '1', '', ' ', '👍 ', '🇫']) {
    expect(() => checkEmoji(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  }
});

test('a search query is trimmed words, not empty, at most 200 characters', () => {
  expect(checkSearchQuery('  run fast ')).toBe('run fast');
  expect(() => checkSearchQuery('   ')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  expect(() => checkSearchQuery('x'.repeat(201))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
});
