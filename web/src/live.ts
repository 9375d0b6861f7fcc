/**
 * What the UI does with live events: typing (sent on key presses, shown under
 * the room), read receipts (the unread number beside each message, lowered as
 * members read), and the room and friend lists kept up to date by myEvents.
 */
import { request } from './api';
import { byId, h } from './dom';
import type { MyEventsSubscription, RoomEventsSubscription, SidebarQuery } from './gql/graphql';
import { SetTyping } from './live-operations';

export type RoomEvent = RoomEventsSubscription['roomEvents'];
export type UserEvent = MyEventsSubscription['myEvents'];

/** The server lapses typing 6 s after the last `true`; a repeat keeps it up. */
const TYPING_REPEAT_MS = 2000;
const TYPING_LAPSE_MS = 6000;

/** Tells the room that the viewer types: on key presses, at most every 2 s; `false` when the box empties or the message goes. */
export class TypingSender {
  private sentAt = 0;
  private typing = false;

  constructor(
    private readonly token: string,
    private readonly roomId: string,
  ) {}

  keyPress(empty: boolean): void {
    if (empty) return this.stop();
    const now = Date.now();
    if (this.typing && now - this.sentAt < TYPING_REPEAT_MS) return;
    this.typing = true;
    this.sentAt = now;
    this.send(true);
  }

  stop(): void {
    if (!this.typing) return;
    this.typing = false;
    this.send(false);
  }

  private send(typing: boolean): void {
    // A lost signal matters little: it lapses, or the next key press repeats it.
    request(SetTyping, { roomId: this.roomId, typing }, this.token).catch(() => undefined);
  }
}

/** Who else is typing in the open room, shown under it. Each also lapses here, should its `false` be lost with a socket. */
export class TypingShown {
  private readonly typists = new Map<string, { name: string; lapse: number }>();

  constructor(private readonly viewerId: string) {
    this.render();
  }

  update(user: { id: string; displayName: string }, typing: boolean): void {
    if (user.id === this.viewerId) return;
    window.clearTimeout(this.typists.get(user.id)?.lapse);
    this.typists.delete(user.id);
    if (typing) {
      const lapse = window.setTimeout(() => this.update(user, false), TYPING_LAPSE_MS + 1000);
      this.typists.set(user.id, { name: user.displayName, lapse });
    }
    this.render();
  }

  clear(): void {
    for (const { lapse } of this.typists.values()) window.clearTimeout(lapse);
    this.typists.clear();
    this.render();
  }

  private render(): void {
    const names = [...this.typists.values()].map((t) => t.name);
    byId('typing').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
  }
}

/** The unread number beside a message: members other than the sender who have not read it (empty at 0). */
export function unreadByBadge(count: number): HTMLElement {
  const badge = h('span', { class: 'unread-by', title: 'members who have not read it yet' });
  setUnreadBy(badge, count);
  return badge;
}

function setUnreadBy(badge: HTMLElement, count: number): void {
  badge.dataset.count = String(count);
  badge.textContent = count > 0 ? String(count) : '';
}

/** A member read (previousReadSeq, lastReadSeq]: each message there not sent by them has one unread reader less. */
export function applyReadMarker(list: HTMLElement, event: { user: { id: string }; lastReadSeq: number; previousReadSeq: number }): void {
  for (const item of list.querySelectorAll<HTMLElement>('li[data-seq]')) {
    const seq = Number(item.dataset.seq);
    if (seq <= event.previousReadSeq || seq > event.lastReadSeq || item.dataset.senderId === event.user.id) continue;
    const badge = item.querySelector<HTMLElement>('.unread-by');
    if (badge) setUnreadBy(badge, Math.max(0, Number(badge.dataset.count) - 1));
  }
}

/** Applies one myEvents event to the sidebar's lists: rooms by latest activity (a new message moves its room to the top), friends by name. */
export function applyUserEvent(sidebar: SidebarQuery, event: UserEvent): void {
  switch (event.__typename) {
    case 'RoomChanged': {
      const at = sidebar.rooms.findIndex((r) => r.id === event.room.id);
      const before = at >= 0 ? sidebar.rooms[at] : null;
      if (at >= 0) sidebar.rooms.splice(at, 1);
      const moved = !before || event.room.lastSeq > before.lastSeq;
      sidebar.rooms.splice(moved ? 0 : at, 0, event.room);
      return;
    }
    case 'RoomRemoved':
      sidebar.rooms = sidebar.rooms.filter((r) => r.id !== event.roomId);
      return;
    case 'FriendChanged': {
      sidebar.friends = sidebar.friends.filter((f) => f.id !== event.user.id);
      if (event.friend) {
        sidebar.friends.push(event.user);
        sidebar.friends.sort((a, b) => a.username.localeCompare(b.username));
      }
      return;
    }
    case 'PresenceChanged': {
      const friend = sidebar.friends.find((f) => f.id === event.user.id);
      if (friend) friend.online = event.user.online;
      return;
    }
    case 'AccountNotice':
      return;
  }
}
