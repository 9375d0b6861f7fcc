import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { uploadIdOf } from '../src/contracts/uploads';
import { inTransaction } from '../src/store/transaction';
import { deleteUnboundUploadsOf, deleteUploadsOfMessage } from '../src/store/uploads';
import { createRoom, befriend, gqlError, gqlOk, roomOfTwo, serviceForThisFile, signUp, waitFor, type TestUser } from './support';

// Files uploaded to the service: a worker and three gateways over the same topics; the third
// gives tickets that expire after a second and at most two a minute per user, and takes in
// 64 KiB of uploads a second, all together.
const SLOW_INTAKE = 64 * 1024;
const service = serviceForThisFile('uploads', [
  {},
  {},
  { UPLOAD_TICKET_SECONDS: '1', UPLOAD_RATE_PER_MINUTE: '2', UPLOAD_GATEWAY_BYTES_PER_SECOND: String(SLOW_INTAKE) },
]);
let urlA: string;
let urlB: string;
let urlShort: string;
beforeAll(() => {
  [urlA, urlB, urlShort] = service.urls;
});

const CREATE_UPLOAD = `mutation($name: String!, $contentType: String!, $size: Int!) {
  createUpload(name: $name, contentType: $contentType, size: $size) { uploadUrl url expiresAt }
}`;
const SEND_FILE = `mutation($input: SendChatInput!) {
  sendChat(input: $input) { id kind attachment { name contentType size url } }
}`;
const LAST_MESSAGE = `query($roomId: ID!) {
  messages(roomId: $roomId, last: 1) { edges { node { id kind attachment { name contentType size url } } } }
}`;

interface Ticket {
  uploadUrl: string;
  url: string;
  expiresAt: string;
}
interface Declared {
  name: string;
  contentType: string;
  size: number;
}

async function createUpload(url: string, user: TestUser, declared: Declared): Promise<Ticket> {
  return (await gqlOk(url, CREATE_UPLOAD, { ...declared }, user.token)).createUpload;
}

/** A PUT of `body` at the ticket's uploadUrl, resolved against the gateway `url` (links are relative unless PUBLIC_URL is set). */
async function put(url: string, ticket: Ticket, token: string | null, body: Buffer, contentType: string, headers: Record<string, string> = {}) {
  return fetch(new URL(ticket.uploadUrl, url), {
    method: 'PUT',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
}

/** createUpload, then the PUT: the ticket of a finished upload. */
async function upload(url: string, user: TestUser, declared: Omit<Declared, 'size'>, bytes: Buffer): Promise<Ticket> {
  const ticket = await createUpload(url, user, { ...declared, size: bytes.length });
  const res = await put(url, ticket, user.token, bytes, declared.contentType);
  expect(res.status).toBe(201);
  return ticket;
}

async function sendFile(url: string, user: TestUser, roomId: string, attachment: Declared & { url: string }) {
  return (await gqlOk(url, SEND_FILE, { input: { roomId, body: '', attachment } }, user.token)).sendChat;
}

async function lastAttachmentUrl(url: string, user: TestUser, roomId: string): Promise<string> {
  const { messages } = await gqlOk(url, LAST_MESSAGE, { roomId }, user.token);
  return messages.edges[0].node.attachment.url;
}

const download = (url: string, link: string, headers: Record<string, string> = {}) => fetch(new URL(link, url), { headers });

/** The rows an upload left in the store: its own and its bytes'. */
async function stored(uploadId: string): Promise<{ uploads: number; chunks: number }> {
  const [row] = await service.worker!.orm.em.fork().execute(
    `select (select count(*) from uploads where id = ?)::int as uploads, (select count(*) from upload_chunks where upload_id = ?)::int as chunks`,
    [uploadId, uploadId],
  );
  return { uploads: Number(row.uploads), chunks: Number(row.chunks) };
}

const idOf = (ticket: Ticket) => uploadIdOf(ticket.url)!;

describe('a file uploaded to the service', () => {
  test('uploaded and sent on one gateway, opened by the other member on another: the bytes, the headers, ranges', async () => {
    const { alice, bob, roomId } = await roomOfTwo(urlA, urlB);
    // Over two 256 KiB chunks: the store splits and joins them.
    const bytes = randomBytes(600 * 1024 + 7);
    const declared = { name: 'report "final".pdf', contentType: 'application/pdf' };
    const ticket = await upload(urlA, alice, declared, bytes);
    expect(ticket.url).toMatch(/^upload:[0-9a-f-]{36}$/);
    expect(Date.parse(ticket.expiresAt)).toBeGreaterThan(Date.now());

    const sent = await sendFile(urlA, alice, roomId, { ...declared, size: bytes.length, url: ticket.url });
    expect(sent.kind).toBe('FILE');
    expect(sent.attachment).toMatchObject({ ...declared, size: bytes.length });
    expect(sent.attachment.url).toContain(`/files/${idOf(ticket)}?`);

    const link = await lastAttachmentUrl(urlB, bob, roomId);
    expect(link).not.toBe(sent.attachment.url); // made for Bob
    const res = await download(urlB, link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="report \\"final\\".pdf"$/);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);

    // Across the chunks' boundary, a suffix, and past the end.
    const across = await download(urlB, link, { range: 'bytes=262000-263999' });
    expect(across.status).toBe(206);
    expect(across.headers.get('content-range')).toBe(`bytes 262000-263999/${bytes.length}`);
    expect(across.headers.get('content-length')).toBe('2000');
    expect(Buffer.from(await across.arrayBuffer()).equals(bytes.subarray(262000, 264000))).toBe(true);
    const suffix = await download(urlB, link, { range: 'bytes=-10' });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);
    const past = await download(urlB, link, { range: `bytes=${bytes.length + 5}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });

  test('a subscriber on another gateway gets the FILE message with a link made for them', async () => {
    const { alice, bob, roomId } = await roomOfTwo(urlA, urlB);
    const client = createClient({ url: urlB.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${bob.token}` }, retryAttempts: 0 });
    const received: { kind: string; attachment: { url: string } | null }[] = [];
    const stop = client.subscribe<{ roomMessages: (typeof received)[number] }>(
      { query: 'subscription($r: ID!) { roomMessages(roomId: $r, afterSeq: 0) { kind attachment { url } } }', variables: { r: roomId } },
      { next: ({ data }) => void (data && received.push(data.roomMessages)), error: () => undefined, complete: () => undefined },
    );
    try {
      const bytes = randomBytes(5000);
      const ticket = await upload(urlA, alice, { name: 'a.zip', contentType: 'application/zip' }, bytes);
      await sendFile(urlA, alice, roomId, { name: 'a.zip', contentType: 'application/zip', size: bytes.length, url: ticket.url });
      const file = await waitFor('the FILE message', () => received.find((m) => m.kind === 'FILE'));
      const link = new URL(file.attachment!.url, urlB);
      expect(link.searchParams.get('u')).toBe(bob.id);
      expect(Buffer.from(await (await download(urlB, link.toString())).arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      stop();
      await client.dispose();
    }
  });

  test('a safe image type is shown inline (Content-Disposition: inline)', async () => {
    const { alice, roomId } = await roomOfTwo(urlA);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const ticket = await upload(urlA, alice, { name: 'cat.png', contentType: 'image/png' }, png);
    const sent = await sendFile(urlA, alice, roomId, { name: 'cat.png', contentType: 'image/png', size: png.length, url: ticket.url });
    const res = await download(urlA, sent.attachment.url);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('inline; filename=cat.png');
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
  });

  test('external http(s) URLs keep working as before', async () => {
    const { alice, roomId } = await roomOfTwo(urlA);
    const attachment = { name: 'x.png', contentType: 'image/png', size: 3, url: 'https://example.com/x.png' };
    expect((await sendFile(urlA, alice, roomId, attachment)).attachment).toEqual(attachment);
  });
});

describe('who may send and open an upload', () => {
  test('a non-member cannot open it, nor send it; a member who leaves loses access; an upload is sent once', async () => {
    const { alice, bob, roomId } = await roomOfTwo(urlA, urlB);
    const carol = await signUp(urlA, 'carol');
    const bytes = randomBytes(1000);
    const declared = { name: 'notes.txt', contentType: 'text/plain' };
    const ticket = await upload(urlA, alice, declared, bytes);
    const attachment = { ...declared, size: bytes.length, url: ticket.url };

    // Carol cannot send Alice's upload in a room of her own.
    await befriend(urlA, carol, bob);
    const carolsRoom = await createRoom(urlA, carol, [bob]);
    expect((await gqlError(urlA, SEND_FILE, { input: { roomId: carolsRoom, body: '', attachment } }, carol.token)).extensions?.code).toBe('BAD_USER_INPUT');
    // Nor does a declaration that differs from the upload's pass.
    expect((await gqlError(urlA, SEND_FILE, { input: { roomId, body: '', attachment: { ...attachment, size: 999 } } }, alice.token)).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    // Before it is sent, nobody can open it.
    const link = (await sendFile(urlA, alice, roomId, attachment)).attachment.url as string;
    // Once sent, it cannot be sent again.
    expect((await gqlError(urlA, SEND_FILE, { input: { roomId, body: '', attachment } }, alice.token)).extensions?.code).toBe('BAD_USER_INPUT');

    // Carol cannot read the room, and a link made for someone else does not become hers.
    expect((await gqlError(urlA, LAST_MESSAGE, { roomId }, carol.token)).extensions?.code).toBe('FORBIDDEN');
    const forged = new URL(link, urlA);
    forged.searchParams.set('u', carol.id);
    expect((await download(urlA, forged.toString())).status).toBe(403);
    const later = new URL(link, urlA);
    later.searchParams.set('e', String(Number(later.searchParams.get('e')) + 3600));
    expect((await download(urlA, later.toString())).status).toBe(403);

    const bobsLink = await lastAttachmentUrl(urlB, bob, roomId);
    expect((await download(urlB, bobsLink)).status).toBe(200);
    await gqlOk(urlB, 'mutation($r: ID!) { leaveRoom(roomId: $r) }', { r: roomId }, bob.token);
    const refused = await download(urlB, bobsLink);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  test('the PUT needs the ticket owner\'s token', async () => {
    const alice = await signUp(urlA, 'alice');
    const bob = await signUp(urlA, 'bob');
    const bytes = randomBytes(10);
    const ticket = await createUpload(urlA, alice, { name: 'a.bin', contentType: 'application/octet-stream', size: 10 });
    expect((await put(urlA, ticket, null, bytes, 'application/octet-stream')).status).toBe(401);
    expect((await put(urlA, ticket, bob.token, bytes, 'application/octet-stream')).status).toBe(403);
    expect((await put(urlA, { ...ticket, uploadUrl: ticket.uploadUrl + 'x' }, alice.token, bytes, 'application/octet-stream')).status).toBe(404);
    expect(await stored(idOf(ticket))).toEqual({ uploads: 0, chunks: 0 });
  });
});

describe('a PUT that does not match its ticket keeps nothing', () => {
  test('another content type, more or fewer bytes than declared: 4xx, nothing stored, nothing to send; then the right bytes are taken once', async () => {
    const alice = await signUp(urlA, 'alice');
    const bob = await signUp(urlA, 'bob');
    await befriend(urlA, alice, bob);
    const roomId = await createRoom(urlA, alice, [bob]);
    const bytes = randomBytes(300 * 1024);
    const declared = { name: 'photo.jpg', contentType: 'image/jpeg', size: bytes.length };
    const ticket = await createUpload(urlA, alice, declared);

    const wrongType = await put(urlA, ticket, alice.token, bytes, 'text/html');
    expect(wrongType.status).toBe(415);
    const tooLong = await put(urlA, ticket, alice.token, Buffer.concat([bytes, Buffer.from('x')]), 'image/jpeg');
    expect(tooLong.status).toBe(413);
    const tooShort = await put(urlA, ticket, alice.token, bytes.subarray(1), 'image/jpeg');
    expect(tooShort.status).toBe(400);
    // Without a Content-Length (chunked), the body is counted as it streams: refused past the declared size.
    const chunked = await putChunked(urlA, ticket, alice.token, [bytes, Buffer.from('more')], 'image/jpeg');
    expect(chunked).toBe(413);
    expect(((await wrongType.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await stored(idOf(ticket))).toEqual({ uploads: 0, chunks: 0 });
    expect((await gqlError(urlA, SEND_FILE, { input: { roomId, body: '', attachment: { ...declared, url: ticket.url } } }, alice.token)).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );

    expect((await put(urlA, ticket, alice.token, bytes, 'image/jpeg')).status).toBe(201);
    expect(await stored(idOf(ticket))).toEqual({ uploads: 1, chunks: 2 });
    expect((await put(urlA, ticket, alice.token, bytes, 'image/jpeg')).status).toBe(409);
    const sent = await sendFile(urlA, alice, roomId, { ...declared, url: ticket.url });
    expect(Buffer.from(await (await download(urlA, sent.attachment.url)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  test('an interrupted PUT leaves nothing behind', async () => {
    const alice = await signUp(urlA, 'alice');
    const size = 1024 * 1024;
    const ticket = await createUpload(urlA, alice, { name: 'big.bin', contentType: 'application/octet-stream', size });
    const req = request(new URL(ticket.uploadUrl, urlA), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), authorization: `Bearer ${alice.token}` },
    });
    req.on('error', () => undefined); // the socket is destroyed below
    req.write(randomBytes(600 * 1024));
    // Some of it reached the store: then the client goes away.
    await waitFor('the first chunks to be stored', async () => (await stored(idOf(ticket))).chunks >= 1);
    req.destroy();
    await waitFor('the interrupted upload to be removed', async () => (await stored(idOf(ticket))).uploads === 0);
    expect(await stored(idOf(ticket))).toEqual({ uploads: 0, chunks: 0 });
  });

  test('an expired ticket is refused', async () => {
    const alice = await signUp(urlShort, 'alice');
    const ticket = await createUpload(urlShort, alice, { name: 'late.txt', contentType: 'text/plain', size: 4 });
    // Tickets are signed to the second: wait until this one's second is over.
    await waitFor('the ticket to expire', () => Date.now() > Date.parse(ticket.expiresAt) + 1000);
    const res = await put(urlShort, ticket, alice.token, Buffer.from('late'), 'text/plain');
    expect(res.status).toBe(410);
    expect(await stored(idOf(ticket))).toEqual({ uploads: 0, chunks: 0 });
  });
});

describe("the gateway's upload intake", () => {
  test('two PUTs at once share UPLOAD_GATEWAY_BYTES_PER_SECOND: 4 seconds\' worth takes at least 3 s, and both are stored whole', async () => {
    const [alice, bob] = await Promise.all([signUp(urlShort, 'alice'), signUp(urlShort, 'bob')]);
    const files = [alice, bob].map((user) => ({ user, bytes: randomBytes(2 * SLOW_INTAKE) }));
    const tickets = await Promise.all(files.map(({ user, bytes }) => createUpload(urlShort, user, { name: 'slow.bin', contentType: 'application/octet-stream', size: bytes.length })));
    const startedAt = Date.now();
    const answers = await Promise.all(files.map(({ user, bytes }, i) => put(urlShort, tickets[i], user.token, bytes, 'application/octet-stream')));
    // A lower bound only: 256 KiB at 64 KiB a second (a window at a time) cannot finish before the fourth second starts.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2_500);
    expect(answers.map((res) => res.status)).toEqual([201, 201]);
    for (const ticket of tickets) expect(await stored(idOf(ticket))).toEqual({ uploads: 1, chunks: 1 });
  });
});

describe('createUpload', () => {
  test('refuses a size over the limit, a type not allowed and a bad name (BAD_USER_INPUT); limits tickets per user (RATE_LIMITED)', async () => {
    const alice = await signUp(urlShort, 'alice');
    const refuse = async (declared: Declared) => (await gqlError(urlShort, CREATE_UPLOAD, { ...declared }, alice.token)).extensions;
    expect(await refuse({ name: 'a.bin', contentType: 'application/octet-stream', size: 25 * 1024 * 1024 + 1 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'UPLOAD_SIZE',
      limit: 25 * 1024 * 1024,
    });
    expect(await refuse({ name: 'a.html', contentType: 'text/html', size: 10 })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UPLOAD_CONTENT_TYPE' });
    expect(await refuse({ name: ' ', contentType: 'text/plain', size: 10 })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await refuse({ name: 'a.txt', contentType: 'text/plain', size: -1 })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await gqlError(urlShort, CREATE_UPLOAD, { name: 'a.txt', contentType: 'text/plain', size: 1 })).extensions?.code).toBe('UNAUTHENTICATED');
    // Refused declarations took no ticket: two are given a minute on this gateway, then RATE_LIMITED.
    await createUpload(urlShort, alice, { name: 'a.txt', contentType: 'Text/Plain; charset=utf-8', size: 1 });
    await createUpload(urlShort, alice, { name: 'b.txt', contentType: 'text/plain', size: 1 });
    expect(await refuse({ name: 'c.txt', contentType: 'text/plain', size: 1 })).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('what removes an upload', () => {
  test('the sweep removes uploads never sent after a day; deleteUploadsOfMessage and deleteUnboundUploadsOf remove what they name', async () => {
    const { alice, bob, roomId } = await roomOfTwo(urlA);
    const bytes = randomBytes(100);
    const file = (name: string) => ({ name, contentType: 'application/octet-stream' });
    const [old, fresh, unsent, sentTicket] = [
      await upload(urlA, alice, file('old'), bytes),
      await upload(urlA, alice, file('fresh'), bytes),
      await upload(urlA, bob, file('unsent'), bytes),
      await upload(urlA, bob, file('sent'), bytes),
    ];
    const sent = await sendFile(urlA, bob, roomId, { ...file('sent'), size: 100, url: sentTicket.url });
    const orm = service.worker!.orm;
    await orm.em.fork().execute(`update uploads set created_at = now() - interval '25 hours' where id in (?, ?)`, [idOf(old), idOf(sentTicket)]);

    expect((await service.worker!.worker!.sweep()).uploads).toBeGreaterThanOrEqual(1);
    expect(await stored(idOf(old))).toEqual({ uploads: 0, chunks: 0 });
    expect(await stored(idOf(fresh))).toEqual({ uploads: 1, chunks: 1 });
    expect(await stored(idOf(sentTicket))).toEqual({ uploads: 1, chunks: 1 }); // sent: kept however old

    // deleteAccount's hook: Bob's unsent upload goes, his sent one stays.
    expect(await inTransaction(orm, (tx) => deleteUnboundUploadsOf(tx, bob.id))).toBe(1);
    expect(await stored(idOf(unsent))).toEqual({ uploads: 0, chunks: 0 });
    expect(await stored(idOf(sentTicket))).toEqual({ uploads: 1, chunks: 1 });

    // deleteMessage's hook: the file goes with its message, and its links stop working at once.
    const link = await lastAttachmentUrl(urlA, alice, roomId);
    expect((await download(urlA, link)).status).toBe(200);
    expect(await inTransaction(orm, (tx) => deleteUploadsOfMessage(tx, sent.id))).toBe(1);
    expect(await stored(idOf(sentTicket))).toEqual({ uploads: 0, chunks: 0 });
    expect((await download(urlA, link)).status).toBe(404);
  });
});

/** A PUT with chunked transfer encoding (no Content-Length); its status, or 0 if the connection was cut first. */
function putChunked(url: string, ticket: Ticket, token: string, pieces: Buffer[], contentType: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(new URL(ticket.uploadUrl, url), {
      method: 'PUT',
      headers: { 'content-type': contentType, 'transfer-encoding': 'chunked', authorization: `Bearer ${token}` },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}
