import { createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import express, { type Request, type Response, type Router } from 'express';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { RateLimiterMemory, RateLimiterQueue, RateLimiterQueueError, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { uploadRef } from '../contracts/uploads';
import { RateLimitedError, UserError, badInput, overLimit } from '../errors';
import { errorFields, type Logger } from '../log';
import { isStoreUnavailableOrBusy } from '../store/errors';
import { PostgresFileStore, beginUpload, dropUpload, finishUpload, loadDownload, type FileStore } from '../store/uploads';
import type { Viewer } from './auth';
import { STORE_UNAVAILABLE_MESSAGE } from './errors';

/**
 * Files uploaded to the service. createUpload gives a signed ticket (nothing
 * is written yet); the PUT at its uploadUrl streams the bytes into the
 * FileStore; a sendChat naming the ticket's url makes the worker bind the
 * upload to the message's room; readers get, at every read of the message, a
 * signed link to GET /files/<id> that expires within minutes (so an <img> works
 * without headers), and every GET checks that the reader is still a member.
 */

export const UPLOAD_PATH = '/uploads';
export const FILES_PATH = '/files';

/** PUTs waiting for the gateway's upload rate at most; one more is refused (503). */
const INTAKE_WAITING_MAX = 1_000;
/** PUTs one user may have running at once on one gateway: each holds a socket and a chunk in memory. */
const PUTS_PER_USER_MAX = 2;
/** Download links end on a whole minute: reads within the same minute get the same link, which a browser can cache. */
const LINK_ROUNDING_SECONDS = 60;
/** Shown inline; anything else is a download (Content-Disposition: attachment). SVG is not: it can carry script. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TICKET_AUDIENCE = 'kafka-chat/upload';
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export interface UploadTicket {
  uploadUrl: string;
  url: string;
  expiresAt: Date;
}

/** What a ticket declares, as signed. */
interface TicketClaims {
  uploadId: string;
  ownerId: string;
  name: string;
  contentType: string;
  size: number;
}

/** An HTTP refusal: the status and the contract code a client reads in the JSON body. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The media type without parameters, lower case ("Image/PNG; x=1" is image/png). */
export const essence = (contentType: string | undefined): string => (contentType ?? '').split(';')[0].trim().toLowerCase();

const keyFor = (secret: string, purpose: string) => new Uint8Array(hkdfSync('sha256', secret, 'kafka-chat', purpose, 32));

export class Uploads {
  readonly files: FileStore;
  private readonly ticketKey: Uint8Array;
  private readonly linkKey: Uint8Array;
  private readonly tickets: RateLimiterMemory | null;
  private readonly bytes: RateLimiterMemory | null;
  private readonly puts: RateLimiterMemory | null;
  /** The gateway's upload bytes a second, all PUTs together, first come first served (null: no bound). */
  private readonly intake: RateLimiterQueue | null;
  private readonly running = new Map<string, number>();
  private readonly base: string;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: Pick<Config, 'jwtSecret' | 'uploads' | 'publicUrl'>,
    private readonly log: Logger,
    files?: FileStore,
  ) {
    this.files = files ?? new PostgresFileStore(orm);
    // Keys of their own, derived from the one secret: a ticket or a link is never a login token, nor one the other.
    this.ticketKey = keyFor(config.jwtSecret, 'upload-tickets');
    this.linkKey = keyFor(config.jwtSecret, 'download-links');
    const { perMinute, bytesPerHour } = config.uploads;
    this.tickets = perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : null;
    // A retried or interrupted PUT may be sent again with its ticket; twice the tickets' rate bounds those retries.
    this.puts = perMinute > 0 ? new RateLimiterMemory({ points: perMinute * 2, duration: 60 }) : null;
    this.bytes = bytesPerHour > 0 ? new RateLimiterMemory({ points: bytesPerHour, duration: 3600 }) : null;
    const { gatewayBytesPerSecond } = config.uploads;
    // Each waiting PUT holds one piece of its body (at most 64 KiB): the queue bounds that memory.
    this.intake =
      gatewayBytesPerSecond > 0 ? new RateLimiterQueue(new RateLimiterMemory({ points: gatewayBytesPerSecond, duration: 1 }), { maxQueueSize: INTAKE_WAITING_MAX }) : null;
    this.base = config.publicUrl;
  }

  /** createUpload: checks what is declared and the user's rates, and signs a ticket; nothing is stored until the PUT. */
  async createTicket(userId: string, declared: { name: string; contentType: string; size: number }): Promise<UploadTicket> {
    const name = declared.name.trim();
    if (!name || name.length > 255) throw badInput('name must be 1-255 characters');
    if (CONTROL_CHARS.test(name)) throw badInput('name must not hold control characters');
    const contentType = essence(declared.contentType);
    if (!this.config.uploads.contentTypes.includes(contentType)) {
      throw new UserError('BAD_USER_INPUT', `contentType must be one of ${this.config.uploads.contentTypes.join(', ')}`, {
        reason: 'UPLOAD_CONTENT_TYPE',
      });
    }
    const { maxBytes } = this.config.uploads;
    if (!Number.isInteger(declared.size) || declared.size < 0) throw badInput('size must be a non-negative integer');
    if (declared.size > maxBytes) throw overLimit('UPLOAD_SIZE', `a file may be at most ${maxBytes} bytes`, maxBytes, declared.size);
    await consume(this.tickets, userId, 1, 'too many uploads');
    await consume(this.bytes, userId, declared.size, 'too many bytes uploaded this hour');

    const uploadId = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.uploads.ticketSeconds * 1000);
    const ticket = await new SignJWT({ name, ct: contentType, size: declared.size })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setJti(uploadId)
      .setAudience(TICKET_AUDIENCE)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.ticketKey);
    return { uploadUrl: `${this.base}${UPLOAD_PATH}/${ticket}`, url: uploadRef(uploadId), expiresAt };
  }

  /** A link to the file for `viewerId`, valid for config.uploads.linkSeconds (up to a minute more). */
  downloadLink(uploadId: string, viewerId: string): string {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expires = Math.ceil((nowSeconds + this.config.uploads.linkSeconds) / LINK_ROUNDING_SECONDS) * LINK_ROUNDING_SECONDS;
    return `${this.base}${FILES_PATH}/${uploadId}?u=${viewerId}&e=${expires}&s=${this.sign(uploadId, viewerId, expires)}`;
  }

  /** The PUT of a ticket's bytes and the GET of a download link, to mount on the gateway's express app. */
  routes(authenticate: (authorization: unknown) => Promise<Viewer>): Router {
    const router = express.Router();
    router.put(`${UPLOAD_PATH}/:ticket`, (req, res) => this.answer(res, () => this.receive(req, res, authenticate)));
    router.get(`${FILES_PATH}/:id`, (req, res) => this.answer(res, () => this.send(req, res)));
    return router;
  }

  private async receive(req: Request, res: Response, authenticate: (authorization: unknown) => Promise<Viewer>): Promise<void> {
    const viewer = await authenticate(req.headers.authorization);
    const ticket = await this.readTicket(String(req.params.ticket));
    if (ticket.ownerId !== viewer.userId) throw new HttpRefusal(403, 'FORBIDDEN', 'this ticket is not yours');
    if (essence(req.headers['content-type']) !== ticket.contentType) {
      throw new HttpRefusal(415, 'BAD_USER_INPUT', `Content-Type must be ${ticket.contentType}, as declared`);
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) !== ticket.size) {
      const status = Number(length) > ticket.size ? 413 : 400;
      throw new HttpRefusal(status, 'BAD_USER_INPUT', `the body must be exactly ${ticket.size} bytes, as declared`);
    }
    await consume(this.puts, viewer.userId, 1, 'too many uploads');
    const running = this.running.get(viewer.userId) ?? 0;
    if (running >= PUTS_PER_USER_MAX) throw new HttpRefusal(429, 'RATE_LIMITED', `at most ${PUTS_PER_USER_MAX} uploads at once`);
    this.running.set(viewer.userId, running + 1);
    try {
      await this.store(req, res, ticket);
    } finally {
      const left = (this.running.get(viewer.userId) ?? 1) - 1;
      if (left > 0) this.running.set(viewer.userId, left);
      else this.running.delete(viewer.userId);
    }
  }

  /** Streams the body into the file store; anything but exactly the declared bytes keeps nothing. */
  private async store(req: Request, res: Response, ticket: TicketClaims): Promise<void> {
    const em = this.orm.em.fork();
    const id = ticket.uploadId;
    if (!(await beginUpload(em, { id, ownerId: ticket.ownerId, name: ticket.name, contentType: ticket.contentType, size: ticket.size }))) {
      throw new HttpRefusal(409, 'CONFLICT', 'this ticket was used already');
    }
    try {
      const stored = await this.files.put(id, declaredBytes(req, ticket.size, this.intake));
      if (stored !== ticket.size) throw new HttpRefusal(400, 'BAD_USER_INPUT', `the body must be exactly ${ticket.size} bytes, as declared`);
      await finishUpload(em, id);
    } catch (err) {
      // A refused, interrupted or failed PUT leaves nothing; the ticket may be tried again until it expires.
      await this.files.remove(id).catch((e) => this.log.warn('could not remove a failed upload; the sweep will', errorFields(e)));
      await dropUpload(em, id).catch((e) => this.log.warn('could not remove a failed upload; the sweep will', errorFields(e)));
      if (req.destroyed && !req.complete) return; // the client went away: nobody to answer
      throw err;
    }
    res.status(201).json({ url: uploadRef(id), size: ticket.size });
  }

  private async send(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const viewerId = this.readLink(id, req.query);
    const file = await loadDownload(this.orm.em.fork(), id, viewerId);
    if (file === 'not-found') throw new HttpRefusal(404, 'NOT_FOUND', 'no such file (or its message was deleted)');
    if (file === 'forbidden') throw new HttpRefusal(403, 'FORBIDDEN', 'only members of the room can open this file');

    let start = 0;
    let end = file.size - 1;
    let status = 200;
    if (req.headers.range !== undefined && file.size > 0) {
      const ranges = req.range(file.size, { combine: true });
      if (ranges === -1) throw new HttpRefusal(416, 'BAD_USER_INPUT', 'range not satisfiable', { 'content-range': `bytes */${file.size}` });
      // One range is served; a malformed Range header or several ranges get the whole file (RFC 9110 allows ignoring Range).
      if (ranges !== undefined && ranges !== -2 && ranges.length === 1 && ranges.type === 'bytes') {
        ({ start, end } = ranges[0]);
        status = 206;
        res.setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
      }
    }
    res.status(status);
    // setHeader, not res.type(): the type as stored, with no charset added.
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Length', String(end - start + 1));
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Opened directly, a file runs no script and loads nothing.
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    res.setHeader('Cache-Control', `private, max-age=${Math.max(0, Number(req.query.e) - Math.floor(Date.now() / 1000))}`);
    res.attachment(file.name); // content-disposition's encoding of the name (it also sets a type: replaced just below)
    res.setHeader('Content-Type', file.contentType);
    if (INLINE_TYPES.has(file.contentType)) res.setHeader('Content-Disposition', String(res.getHeader('Content-Disposition')).replace(/^attachment/, 'inline'));
    if (req.method === 'HEAD' || file.size === 0) {
      res.end();
      return;
    }
    try {
      await pipeline(Readable.from(this.files.get(id, start, end)), res);
    } catch (err) {
      // A reader that goes away mid-way ends the pipeline; anything else cut the response short (its length tells the client).
      if (!res.destroyed || !req.destroyed) this.log.warn('a download ended early', { uploadId: id, ...errorFields(err) });
    }
  }

  private async readTicket(ticket: string): Promise<TicketClaims> {
    try {
      const { payload } = await jwtVerify(ticket, this.ticketKey, { algorithms: ['HS256'], audience: TICKET_AUDIENCE });
      const { sub, jti, name, ct, size } = payload;
      if (typeof sub !== 'string' || typeof jti !== 'string' || !UUID.test(jti) || typeof name !== 'string' || typeof ct !== 'string' || typeof size !== 'number') {
        throw new Error('malformed ticket');
      }
      return { uploadId: jti, ownerId: sub, name, contentType: ct, size };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new HttpRefusal(410, 'FORBIDDEN', 'this upload ticket has expired; call createUpload again');
      throw new HttpRefusal(404, 'NOT_FOUND', 'no such upload ticket');
    }
  }

  /** The reader a download link was made for, if it is genuine and unexpired. */
  private readLink(uploadId: string, query: Request['query']): string {
    const { u, e, s } = query;
    const expires = Number(e);
    const genuine =
      UUID.test(uploadId) &&
      typeof u === 'string' &&
      UUID.test(u) &&
      Number.isSafeInteger(expires) &&
      typeof s === 'string' &&
      safeEqual(s, this.sign(uploadId, u, expires));
    if (!genuine) throw new HttpRefusal(403, 'FORBIDDEN', 'this link is not valid');
    if (expires * 1000 < Date.now()) throw new HttpRefusal(403, 'FORBIDDEN', 'this link has expired; read the message again for a fresh one');
    return u as string;
  }

  private sign(uploadId: string, viewerId: string, expires: number): string {
    return createHmac('sha256', this.linkKey).update(`${uploadId}.${viewerId}.${expires}`).digest('base64url');
  }

  /** Runs a route; a refusal or fault becomes a GraphQL-shaped JSON answer, never a stack. */
  private async answer(res: Response, route: () => Promise<void>): Promise<void> {
    try {
      await route();
    } catch (err) {
      const refusal = asRefusal(err);
      if (!refusal) this.log.error('unexpected error in an upload route', errorFields(err, { stack: true }));
      else if (refusal.status === 503) this.log.warn('database unavailable while serving a file route', errorFields(err));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const { status, code, message, headers } = refusal ?? new HttpRefusal(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      // A body we stopped reading is not read to its end: this connection closes after the answer.
      if (!res.req.complete) res.setHeader('Connection', 'close');
      res.status(status).set(headers).json({ errors: [{ message, extensions: { code, ...(err instanceof RateLimitedError ? err.details : {}) } }] });
      res.req.resume();
    }
  }
}

function asRefusal(err: unknown): HttpRefusal | null {
  if (err instanceof HttpRefusal) return err;
  if (err instanceof RateLimitedError) return new HttpRefusal(429, err.code, err.message, { 'retry-after': String(Math.ceil(err.retryAfter)) });
  if (err instanceof UserError) return new HttpRefusal(err.code === 'UNAUTHENTICATED' ? 401 : 400, err.code, err.message);
  if (isStoreUnavailableOrBusy(err)) return new HttpRefusal(503, 'SERVICE_UNAVAILABLE', STORE_UNAVAILABLE_MESSAGE, { 'retry-after': '1' });
  return null;
}

/**
 * The request body as it arrives, refused (413) as soon as it has more than
 * `size` bytes, and no faster than `intake` lets the gateway's uploads in:
 * while a piece waits the body is not read, so TCP slows the client down.
 */
async function* declaredBytes(req: IncomingMessage, size: number, intake: RateLimiterQueue | null): AsyncIterable<Buffer> {
  let received = 0;
  // Not destroyed when the refusal stops the loop: the socket must stay open to carry the 413.
  for await (const piece of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += piece.length;
    if (received > size) throw new HttpRefusal(413, 'BAD_USER_INPUT', `the body has more than the ${size} bytes declared`);
    if (intake) {
      try {
        await intake.removeTokens(piece.length);
      } catch (err) {
        if (!(err instanceof RateLimiterQueueError)) throw err;
        throw new HttpRefusal(503, 'SERVICE_UNAVAILABLE', 'too many uploads on this gateway; try again shortly', { 'retry-after': '5' });
      }
    }
    yield piece;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function consume(limiter: RateLimiterMemory | null, key: string, points: number, what: string): Promise<void> {
  if (!limiter || points === 0) return;
  try {
    await limiter.consume(key, points);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const retryAfter = Math.ceil(err.msBeforeNext) / 1000;
    throw new RateLimitedError(retryAfter, `${what}; try again in ${retryAfter} s`);
  }
}
