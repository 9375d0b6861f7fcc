import type { AttachmentRecord } from '../../src/contracts/records';
import { uploadRef } from '../../src/contracts/uploads';
import { decideSendChat, type SendChatState, type UploadView } from '../../src/commands/messages';
import { ALICE, BOB, NOW, ROOM, command, user } from './given';

// sendChat naming a file uploaded to the service (attachment.url = the ticket's url, upload:<id>).
const UPLOAD = '00000000-0000-4000-8000-0000000f11e0';
const declared: AttachmentRecord = { name: 'cat.png', contentType: 'image/png', size: 1234, url: uploadRef(UPLOAD) };
const finished: UploadView = { ownerId: ALICE, name: 'cat.png', contentType: 'image/png', size: 1234, complete: true, messageId: null };
const send = (attachment: AttachmentRecord = declared) => command('SendChat', ALICE, { roomId: ROOM, body: '', clientMessageId: null, attachment });
const state = (upload: UploadView | null): SendChatState => ({
  room: { lastSeq: 1, isMember: true },
  sender: user(ALICE, 'Alice'),
  earlier: null,
  now: NOW,
  upload,
});

test('given a finished upload of hers, when Alice sends it, then it is a FILE message that binds the upload', () => {
  expect(decideSendChat(send(), state(finished))).toMatchObject({
    result: { message: { kind: 'FILE', attachment: declared } },
    writes: { roomId: ROOM, uploadId: UPLOAD },
  });
});

test.each([
  ['no such upload', null],
  ["Bob's upload", { ...finished, ownerId: BOB }],
  ['an upload whose owner is gone', { ...finished, ownerId: null }],
  ['an unfinished upload', { ...finished, complete: false }],
  ['an upload sent already', { ...finished, messageId: '00000000-0000-4000-8000-00000000beef' }],
  ['another name', { ...finished, name: 'dog.png' }],
  ['another size', { ...finished, size: 1235 }],
  ['another type', { ...finished, contentType: 'image/gif' }],
])('given %s, when Alice sends it, then BAD_USER_INPUT and nothing is written', (_what, upload) => {
  expect(decideSendChat(send(), state(upload))).toMatchObject({ code: 'BAD_USER_INPUT' });
});

test('an external http(s) URL needs no upload', () => {
  const external = { ...declared, url: 'https://example.com/cat.png' };
  const decided = decideSendChat(send(external), { ...state(null), upload: undefined });
  expect(decided).toMatchObject({ result: { message: { kind: 'FILE', attachment: external } } });
  expect(decided).not.toMatchObject({ writes: { uploadId: expect.anything() } });
});

test('a non-member is refused before the upload is looked at', () => {
  expect(decideSendChat(send(), { ...state(finished), room: { lastSeq: 1, isMember: false } })).toMatchObject({ code: 'FORBIDDEN' });
});
