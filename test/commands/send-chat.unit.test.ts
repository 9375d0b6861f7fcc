import type { AttachmentRecord, MessageRecord } from '../../src/contracts/records';
import { messageId } from '../../src/commands/decision';
import { decideSendChat, type SendChatState } from '../../src/commands/messages';
import { ALICE, NOW, ROOM, command, user } from './given';

const alice = user(ALICE, 'Alice');
const send = (body: string, clientMessageId: string | null = null, attachment: AttachmentRecord | null = null) =>
  command('SendChat', ALICE, { roomId: ROOM, body, clientMessageId, attachment });
const state = (overrides: Partial<SendChatState> = {}): SendChatState => ({
  room: { lastSeq: 41, isMember: true },
  sender: alice,
  earlier: null,
  now: NOW,
  ...overrides,
});

test('given a room at seq 41, when Alice sends a text, then it is message 42: published whole, written and returned', () => {
  const message: MessageRecord = {
    id: messageId('cmd-SendChat', 0),
    roomId: ROOM,
    seq: 42,
    kind: 'TEXT',
    body: 'hi',
    sender: alice,
    attachment: null,
    clientMessageId: 'm-1',
    system: null,
    createdAt: NOW,
    replyTo: null,
    version: 1,
    editedAt: null,
    deleted: false,
    reactions: [],
  };
  expect(decideSendChat(send('hi', 'm-1'), state())).toEqual({
    result: { message, bookmarked: false },
    events: [{ v: 1, type: 'message', message }],
    writes: { roomId: ROOM, messages: [message] },
  });
});

test('when Alice sends an attachment, then it is a FILE message', () => {
  const attachment = { name: 'a.png', contentType: 'image/png', size: 3, url: 'https://x/a.png' };
  expect(decideSendChat(send('', null, attachment), state())).toMatchObject({ result: { message: { kind: 'FILE', attachment } } });
});

test('given a message with this clientMessageId, when Alice sends it again, then the first is returned and nothing is published or written', () => {
  const earlier = { message: { seq: 3, clientMessageId: 'm-1' } as MessageRecord, bookmarked: true };
  expect(decideSendChat(send('hi', 'm-1'), state({ earlier }))).toEqual({ result: earlier, events: [], writes: null });
});

test('given a room Alice is not in, or none, when she sends, then FORBIDDEN or NOT_FOUND', () => {
  expect(decideSendChat(send('hi'), state({ room: { lastSeq: 41, isMember: false } }))).toMatchObject({ code: 'FORBIDDEN' });
  expect(decideSendChat(send('hi'), state({ room: null }))).toMatchObject({ code: 'NOT_FOUND' });
});

test('the same command always names the same message; two commands never do', () => {
  expect(messageId('c1', 0)).toBe(messageId('c1', 0));
  expect(messageId('c1', 0)).not.toBe(messageId('c1', 1));
  expect(messageId('c1', 0)).not.toBe(messageId('c2', 0));
  expect(messageId('c1', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
