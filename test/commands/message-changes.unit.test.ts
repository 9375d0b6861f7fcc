import type { MessageRecord } from '../../src/contracts/records';
import {
  decideAddReaction,
  decideDeleteMessage,
  decideEditMessage,
  decideRemoveReaction,
  orderReactions,
  type MessageChangeState,
} from '../../src/commands/message-changes';
import { decideSendChat } from '../../src/commands/messages';
import { ALICE, BOB, CAROL, NOW, ROOM, command, user } from './given';

const alice = user(ALICE, 'Alice');
const OTHER_ROOM = '00000000-0000-4000-8000-0000000000e2';
const MSG = '00000000-0000-4000-8000-00000000beef';

const message = (overrides: Partial<MessageRecord> = {}): MessageRecord => ({
  id: MSG,
  roomId: ROOM,
  seq: 7,
  kind: 'TEXT',
  body: 'helo',
  sender: alice,
  attachment: null,
  clientMessageId: null,
  system: null,
  createdAt: '2026-12-01T11:00:00.000Z',
  replyTo: null,
  version: 3,
  editedAt: null,
  deleted: false,
  reactions: [],
  ...overrides,
});
const state = (overrides: Partial<MessageChangeState> = {}, m: Partial<MessageRecord> = {}): MessageChangeState => ({
  message: message(m),
  isMember: true,
  now: NOW,
  ...overrides,
});
const edit = (actor: string, body: string, roomId = ROOM) => command('EditMessage', actor, { roomId, messageId: MSG, body });
const del = (actor: string) => command('DeleteMessage', actor, { roomId: ROOM, messageId: MSG });
const react = (actor: string, emoji: string) => command('AddReaction', actor, { roomId: ROOM, messageId: MSG, emoji });
const unreact = (actor: string, emoji: string) => command('RemoveReaction', actor, { roomId: ROOM, messageId: MSG, emoji });

describe('EditMessage', () => {
  test('given her message at version 3, when Alice edits it, then version 4 with the new body and editedAt: written, announced and returned', () => {
    const next = message({ body: 'hello', editedAt: NOW, version: 4 });
    expect(decideEditMessage(edit(ALICE, 'hello'), state())).toEqual({
      result: { message: next },
      events: [{ v: 1, type: 'message-changed', message: next }],
      writes: { message: next, reaction: null, clearReactions: false },
    });
  });

  test('when the body is the same, then nothing changes and nothing is announced', () => {
    expect(decideEditMessage(edit(ALICE, 'helo'), state())).toEqual({ result: { message: message() }, events: [], writes: null });
  });

  test('when Bob edits Alice’s message, then FORBIDDEN; a message of another room or none is NOT_FOUND', () => {
    expect(decideEditMessage(edit(BOB, 'x'), state())).toMatchObject({ code: 'FORBIDDEN' });
    expect(decideEditMessage(edit(ALICE, 'x', OTHER_ROOM), state())).toMatchObject({ code: 'NOT_FOUND' });
    expect(decideEditMessage(edit(ALICE, 'x'), state({ message: null }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a deleted or SYSTEM message cannot be edited; a TEXT body cannot become empty, a FILE one can', () => {
    expect(decideEditMessage(edit(ALICE, 'x'), state({}, { deleted: true, body: '' }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(decideEditMessage(edit(ALICE, 'x'), state({}, { kind: 'SYSTEM' }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(decideEditMessage(edit(ALICE, '  '), state())).toMatchObject({ code: 'BAD_USER_INPUT' });
    const attachment = { name: 'a.png', contentType: 'image/png', size: 1, url: 'https://x/a.png' };
    expect(decideEditMessage(edit(ALICE, ''), state({}, { kind: 'FILE', attachment }))).toMatchObject({ result: { message: { body: '', attachment } } });
  });

  test('given Alice left the room, when she edits, then FORBIDDEN', () => {
    expect(decideEditMessage(edit(ALICE, 'x'), state({ isMember: false }))).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('DeleteMessage', () => {
  test('when Alice deletes her FILE message, then a tombstone: body and attachment gone, reactions dropped, seq and sender kept', () => {
    const attachment = { name: 'a.png', contentType: 'image/png', size: 1, url: 'https://x/a.png' };
    const decision = decideDeleteMessage(del(ALICE), state({}, { kind: 'FILE', attachment, reactions: [{ emoji: '👍', userIds: [BOB] }] }));
    const tombstone = message({ kind: 'FILE', body: '', attachment: null, deleted: true, reactions: [], version: 4 });
    expect(decision).toEqual({
      result: { message: tombstone },
      events: [{ v: 1, type: 'message-changed', message: tombstone }],
      writes: { message: tombstone, reaction: null, clearReactions: true },
    });
  });

  test('deleting twice is not an error and announces nothing; only the sender may delete, even after leaving', () => {
    expect(decideDeleteMessage(del(ALICE), state({}, { deleted: true, body: '' }))).toMatchObject({ events: [], writes: null });
    expect(decideDeleteMessage(del(BOB), state())).toMatchObject({ code: 'FORBIDDEN' });
    expect(decideDeleteMessage(del(ALICE), state({ isMember: false }))).toMatchObject({ writes: { message: { deleted: true } } });
  });
});

describe('AddReaction and RemoveReaction', () => {
  test('when Bob reacts, then the reaction is added with him among its reactors and the version grows', () => {
    const decision = decideAddReaction(react(BOB, '👍'), state({}, { reactions: [{ emoji: '🎉', userIds: [CAROL] }] }));
    expect(decision).toMatchObject({
      result: { message: { version: 4, reactions: [{ emoji: '🎉', userIds: [CAROL] }, { emoji: '👍', userIds: [BOB] }] } },
      events: [{ type: 'message-changed' }],
      writes: { reaction: { emoji: '👍', userId: BOB, add: true } },
    });
  });

  test('reacting twice with one emoji changes nothing; removing a reaction one does not have changes nothing', () => {
    const reacted = state({}, { reactions: [{ emoji: '👍', userIds: [BOB] }] });
    expect(decideAddReaction(react(BOB, '👍'), reacted)).toMatchObject({ events: [], writes: null });
    expect(decideRemoveReaction(unreact(CAROL, '👍'), reacted)).toMatchObject({ events: [], writes: null });
  });

  test('when Bob removes his only 👍, then the emoji is gone', () => {
    const reacted = state({}, { reactions: [{ emoji: '👍', userIds: [BOB] }] });
    expect(decideRemoveReaction(unreact(BOB, '👍'), reacted)).toMatchObject({
      result: { message: { reactions: [], version: 4 } },
      writes: { reaction: { emoji: '👍', userId: BOB, add: false } },
    });
  });

  test('a 21st distinct emoji is BAD_USER_INPUT; one more of an emoji already there is fine', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => ({ emoji: String.fromCodePoint(0x1f600 + i), userIds: [CAROL] }));
    expect(decideAddReaction(react(BOB, '👍'), state({}, { reactions: twenty }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(decideAddReaction(react(BOB, '😀'), state({}, { reactions: twenty }))).toMatchObject({ result: { message: { version: 4 } } });
  });

  test('non-members are FORBIDDEN; a deleted message takes no reactions', () => {
    expect(decideAddReaction(react(BOB, '👍'), state({ isMember: false }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(decideAddReaction(react(BOB, '👍'), state({}, { deleted: true }))).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  test('reactions are ordered by count, then by emoji code point', () => {
    const ordered = orderReactions([
      { emoji: '😀', userIds: [ALICE] },
      { emoji: '❤', userIds: [ALICE] },
      { emoji: '👍', userIds: [ALICE, BOB] },
    ]);
    expect(ordered.map((r) => r.emoji)).toEqual(['👍', '❤', '😀']);
  });
});

describe('SendChat with replyToId', () => {
  const send = (replyToId: string) => command('SendChat', ALICE, { roomId: ROOM, body: 'yes', clientMessageId: null, attachment: null, replyToId });
  const sendState = (replyTo: MessageRecord | null) => ({ room: { lastSeq: 9, isMember: true }, sender: alice, earlier: null, now: NOW, replyTo });

  test('a reply carries the original as it is now, without the original’s own replyTo and reactions', () => {
    const original = message({ replyTo: message({ id: 'older' }), reactions: [{ emoji: '👍', userIds: [BOB] }] });
    expect(decideSendChat(send(MSG), sendState(original))).toMatchObject({
      result: { message: { seq: 10, version: 1, deleted: false, reactions: [], replyTo: { ...original, replyTo: null, reactions: [] } } },
    });
  });

  test('an unknown original is NOT_FOUND; one of another room is BAD_USER_INPUT', () => {
    expect(decideSendChat(send(MSG), sendState(null))).toMatchObject({ code: 'NOT_FOUND' });
    expect(decideSendChat(send(MSG), sendState(message({ roomId: OTHER_ROOM })))).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
