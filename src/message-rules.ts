import { badInput } from './errors';
import { LIMITS, checkMaxLength } from './rules';

/**
 * The edge's checks of edits, reactions and searches (./rules has sendChat's),
 * made before a command is produced or a query runs.
 */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** A pictograph (😀, ❤), a flag (two regional indicators) or a keycap (1️⃣). */
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}{2}|\u20E3/u;
/** Longer than any emoji sequence in use (a family with skin tones is about 35 UTF-16 units). */
const EMOJI_MAX_LENGTH = 64;

/** One grapheme cluster that is an emoji, else BAD_USER_INPUT. */
export function checkEmoji(emoji: string): string {
  const clusters = [...graphemes.segment(emoji)];
  if (emoji.length > EMOJI_MAX_LENGTH || clusters.length !== 1 || !EMOJI.test(emoji)) {
    throw badInput('emoji must be a single emoji');
  }
  return emoji;
}

/** An edit's body: the limits of sendChat (emptiness is decided by the worker, which knows whether it is a FILE message). */
export function checkEditBody(body: string): string {
  return checkMaxLength('body', body, LIMITS.bodyMax);
}

/** A search is plain words: 1 to LIMITS.searchQueryMax characters, not only white space. */
export function checkSearchQuery(query: string): string {
  const trimmed = query.trim();
  if (trimmed.length === 0) throw badInput('query must not be empty');
  return checkMaxLength('query', trimmed, LIMITS.searchQueryMax);
}
