/**
 * What a message offers beside its text: the quote of the message it answers,
 * a reaction bar, and reply, edit and delete (the last two on one's own
 * messages). RoomView renders them; the composer sends the reply target.
 */
import { request } from './api';
import { h } from './dom';
import { graphql } from './gql';
import type { ChatMessageFragment } from './gql/graphql';

export const MessageExtrasFields = graphql(`
  fragment MessageExtras on Message {
    version
    deleted
    editedAt
    reactions { emoji count byViewer }
    replyTo { id seq body deleted sender { displayName } }
  }
`);

export const EditMessage = graphql(`
  mutation EditMessage($messageId: ID!, $body: String!) {
    editMessage(messageId: $messageId, body: $body) { ...ChatMessage }
  }
`);

export const DeleteMessage = graphql(`
  mutation DeleteMessage($messageId: ID!) {
    deleteMessage(messageId: $messageId) { ...ChatMessage }
  }
`);

export const AddReaction = graphql(`
  mutation AddReaction($messageId: ID!, $emoji: String!) {
    addReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }
  }
`);

export const RemoveReaction = graphql(`
  mutation RemoveReaction($messageId: ID!, $emoji: String!) {
    removeReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }
  }
`);

/** Offered on every message beside the reactions it already has. */
const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮'];

export interface ActionsContext {
  token: string;
  userId: string;
  onError: (error: unknown) => void;
  /** A changed copy of a message, to show in place of the older one. */
  onChanged: (message: ChatMessageFragment) => void;
}

/** The text a message shows: a deleted one says so. */
export function bodyOf(message: Pick<ChatMessageFragment, 'body' | 'deleted'>): HTMLElement {
  return message.deleted ? h('span', { class: 'body deleted' }, 'message deleted') : h('span', { class: 'body' }, message.body);
}

/** The quote of the message this one answers, as it is now. */
export function replyQuote(message: ChatMessageFragment): HTMLElement | null {
  const original = message.replyTo;
  if (!original) return null;
  return h(
    'blockquote',
    { class: 'reply-quote', 'data-reply-to': original.id },
    original.sender ? h('span', { class: 'sender' }, original.sender.displayName) : null,
    bodyOf(original),
  );
}

async function run(ctx: ActionsContext, action: () => Promise<ChatMessageFragment>): Promise<void> {
  try {
    ctx.onChanged(await action());
  } catch (err) {
    ctx.onError(err);
  }
}

/** The reaction bar (a button per emoji, pressed when the viewer reacted) and reply, edit and delete. */
export function messageActions(message: ChatMessageFragment, ctx: ActionsContext): HTMLElement | null {
  if (message.kind === 'SYSTEM' || message.deleted) return null;
  const toggle = (emoji: string, byViewer: boolean) =>
    run(ctx, async () =>
      byViewer
        ? (await request(RemoveReaction, { messageId: message.id, emoji }, ctx.token)).removeReaction
        : (await request(AddReaction, { messageId: message.id, emoji }, ctx.token)).addReaction,
    );
  const shown = new Set(message.reactions.map((r) => r.emoji));
  const reactions = [
    ...message.reactions.map((r) => {
      const b = h('button', { type: 'button', class: r.byViewer ? 'reaction mine' : 'reaction', 'data-emoji': r.emoji }, `${r.emoji} ${r.count}`);
      b.addEventListener('click', () => void toggle(r.emoji, r.byViewer));
      return b;
    }),
    ...QUICK_EMOJI.filter((e) => !shown.has(e)).map((emoji) => {
      const b = h('button', { type: 'button', class: 'reaction add', 'data-emoji': emoji, title: `React with ${emoji}` }, emoji);
      b.addEventListener('click', () => void toggle(emoji, false));
      return b;
    }),
  ];
  const reply = h('button', { type: 'button', class: 'action reply' }, 'Reply');
  reply.addEventListener('click', () => setReplyTarget(message));
  const tools: HTMLElement[] = [reply];
  if (message.sender?.id === ctx.userId) {
    const edit = h('button', { type: 'button', class: 'action edit' }, 'Edit');
    edit.addEventListener('click', () => {
      const body = window.prompt('Edit message', message.body);
      if (body === null || body === message.body) return;
      void run(ctx, async () => (await request(EditMessage, { messageId: message.id, body }, ctx.token)).editMessage);
    });
    const del = h('button', { type: 'button', class: 'action delete' }, 'Delete');
    del.addEventListener('click', () => {
      if (!window.confirm('Delete this message for everyone?')) return;
      void run(ctx, async () => (await request(DeleteMessage, { messageId: message.id }, ctx.token)).deleteMessage);
    });
    tools.push(edit, del);
  }
  return h('span', { class: 'actions' }, ...reactions, ...tools);
}

// ---- the reply target of the composer ----

let replyTarget: ChatMessageFragment | null = null;

/** Shows "Replying to …" above the composer (or clears it with null). */
export function setReplyTarget(message: ChatMessageFragment | null): void {
  replyTarget = message;
  const compose = document.getElementById('compose');
  if (!compose) return;
  let bar = document.getElementById('reply-target');
  if (!message) {
    bar?.remove();
    return;
  }
  const cancel = h('button', { type: 'button', 'aria-label': 'Cancel reply' }, '×');
  cancel.addEventListener('click', () => setReplyTarget(null));
  const next = h('div', { id: 'reply-target', class: 'reply-target' }, `Replying to ${message.sender?.displayName ?? ''}: `, bodyOf(message), cancel);
  if (bar) bar.replaceWith(next);
  else compose.prepend(next);
  bar = next;
  (compose.querySelector('input[name="body"]') as HTMLInputElement | null)?.focus();
}

/** The id the next message answers, when a reply target is set for this room. */
export function replyToIdFor(roomId: string): string | null {
  return replyTarget && replyTarget.roomId === roomId ? replyTarget.id : null;
}
