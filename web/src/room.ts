/** The open room: its history (scrolling back page by page), live messages and read marker. */
import { request, type LiveConnection } from './api';
import { renderAttachment } from './attach';
import { byId, h } from './dom';
import type { ChatMessageFragment } from './gql/graphql';
import { bodyOf, messageActions, replyQuote } from './message-actions';
import { MarkRead, RoomHistory } from './operations';
import { RoomEvents } from './live-operations';
import { TypingSender, TypingShown, applyReadMarker, unreadByBadge, type RoomEvent } from './live';

const PAGE_SIZE = 30;
/** Older messages load when the list is scrolled this close to its top. */
const LOAD_OLDER_MARGIN_PX = 40;

export interface RoomSession {
  token: string;
  userId: string;
  live: LiveConnection;
  onError: (error: unknown) => void;
  /** The viewer has read up to here, so the room list can drop its badge. */
  onRead: (roomId: string) => void;
}

export class RoomView {
  private readonly scroller = byId('messages');
  private readonly list = byId<HTMLOListElement>('message-list');
  private readonly olderButton = byId<HTMLButtonElement>('older');
  /** The newest seq shown; live messages up to it are repeats and are dropped. */
  private lastSeq = 0;
  private oldestCursor: string | null = null;
  private hasOlder = false;
  private loadingOlder = false;
  private markedSeq = 0;
  private marking = false;
  private closed = false;
  private readonly typingShown: TypingShown;
  readonly typing: TypingSender;
  private readonly onScroll = () => {
    if (this.scroller.scrollTop < LOAD_OLDER_MARGIN_PX) void this.loadOlder();
  };
  private readonly onOlderClick = () => void this.loadOlder();
  private firstPageShown: () => void = () => undefined;
  /** Resolves once open() has shown the first page. */
  readonly shown = new Promise<void>((resolve) => (this.firstPageShown = resolve));

  constructor(
    readonly roomId: string,
    private readonly session: RoomSession,
  ) {
    this.typingShown = new TypingShown(session.userId);
    this.typing = new TypingSender(session.token, roomId);
  }

  async open(): Promise<void> {
    this.list.replaceChildren();
    this.olderButton.hidden = true;
    const page = await this.page(null);
    if (this.closed) return;
    this.prepend(page.messages);
    this.lastSeq = page.messages.at(-1)?.seq ?? 0;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.scroller.addEventListener('scroll', this.onScroll);
    this.olderButton.addEventListener('click', this.onOlderClick);
    this.session.live.watchRoom(RoomEvents, this.roomId, () => this.lastSeq, ({ roomEvents }) => this.onEvent(roomEvents));
    this.markRead();
    this.firstPageShown();
  }

  close(): void {
    this.closed = true;
    this.session.live.unwatch();
    this.typing.stop();
    this.typingShown.clear();
    this.scroller.removeEventListener('scroll', this.onScroll);
    this.olderButton.removeEventListener('click', this.onOlderClick);
  }

  private onEvent(event: RoomEvent): void {
    if (this.closed) return;
    switch (event.__typename) {
      case 'MessageAdded':
        return this.onLive(event.message);
      case 'MessageChanged': {
        const body = this.list.querySelector(`li[data-seq="${event.message.seq}"] .body`);
        if (body) body.textContent = event.message.body;
        return;
      }
      case 'ReadMarkerMoved':
        return applyReadMarker(this.list, event);
      case 'TypingChanged':
        return this.typingShown.update(event.user, event.typing);
    }
  }

  private onLive(message: ChatMessageFragment): void {
    if (this.closed || message.seq <= this.lastSeq) return;
    const atBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 40;
    this.list.append(this.render(message));
    this.lastSeq = message.seq;
    if (atBottom || message.sender?.id === this.session.userId) this.scroller.scrollTop = this.scroller.scrollHeight;
    this.markRead();
  }

  private async loadOlder(): Promise<void> {
    if (!this.hasOlder || this.loadingOlder || this.closed) return;
    this.loadingOlder = true;
    try {
      const page = await this.page(this.oldestCursor);
      if (this.closed) return;
      // Keep what the reader is looking at in place while older messages go in above it.
      const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      this.prepend(page.messages);
      this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    } catch (err) {
      this.session.onError(err);
    } finally {
      this.loadingOlder = false;
    }
  }

  private async page(before: string | null): Promise<{ messages: ChatMessageFragment[] }> {
    const { messages } = await request(RoomHistory, { roomId: this.roomId, last: PAGE_SIZE, before }, this.session.token);
    this.hasOlder = messages.pageInfo.hasPreviousPage;
    if (messages.pageInfo.startCursor !== null) this.oldestCursor = messages.pageInfo.startCursor;
    this.olderButton.hidden = !this.hasOlder;
    return { messages: messages.edges.map((e) => e.node) };
  }

  private prepend(messages: ChatMessageFragment[]): void {
    this.list.prepend(...messages.map((m) => this.render(m)));
  }

  private render(message: ChatMessageFragment): HTMLLIElement {
    const mine = message.sender?.id === this.session.userId;
    const className = ['message', message.kind === 'SYSTEM' ? 'system' : '', mine ? 'mine' : ''].filter(Boolean).join(' ');
    const time = new Date(message.createdAt);
    return h(
      'li',
      { class: className, 'data-seq': String(message.seq), 'data-id': message.id, 'data-version': String(message.version), 'data-sender-id': message.sender?.id },
      replyQuote(message),
      message.sender ? h('span', { class: 'sender' }, message.sender.displayName) : null,
      bodyOf(message),
      message.editedAt && !message.deleted ? h('small', { class: 'hint edited' }, ' (edited)') : null,
      message.attachment ? renderAttachment(message.attachment) : null,
      unreadByBadge(message.unreadBy),
      h('time', { datetime: message.createdAt }, time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
      messageActions(message, {
        token: this.session.token,
        userId: this.session.userId,
        onError: this.session.onError,
        onChanged: (changed) => this.replace(changed),
      }),
    );
  }

  /** Shows a changed copy of a message in place of the one shown, unless that one is newer. */
  replace(message: ChatMessageFragment): void {
    const shown = this.list.querySelector<HTMLLIElement>(`li[data-id="${message.id}"]`);
    if (shown && Number(shown.dataset.version) < message.version) shown.replaceWith(this.render(message));
  }

  /** Scrolls to the message with this seq, loading older pages (at most 20) until it is shown. */
  async reveal(seq: number): Promise<void> {
    for (let pages = 0; pages < 20; pages++) {
      const shown = this.list.querySelector<HTMLLIElement>(`li[data-seq="${seq}"]`);
      if (shown) {
        shown.scrollIntoView({ block: 'center' });
        shown.classList.add('found');
        return;
      }
      if (!this.hasOlder || this.closed) return;
      await this.loadOlder();
    }
  }

  /** Moves the read marker to the newest message shown; one request at a time, the latest seq wins. */
  private markRead(): void {
    const seq = this.lastSeq;
    if (this.closed || this.marking || seq <= this.markedSeq) return;
    this.marking = true;
    request(MarkRead, { roomId: this.roomId, seq }, this.session.token).then(
      () => {
        this.marking = false;
        this.markedSeq = Math.max(this.markedSeq, seq);
        this.session.onRead(this.roomId);
        this.markRead();
      },
      (err: unknown) => {
        this.marking = false;
        this.session.onError(err); // the next message shown tries again
      },
    );
  }
}
