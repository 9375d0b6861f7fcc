import { Ctx, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { AttachmentRecord, MessageKind, PublicUser, ReactionRecord } from '../contracts/records';
import { seqPageInfo, type SeqRange } from '../rules';
import type { ViewedMessage } from '../contracts/records';
import type { RoomView } from '../store/reads';
import { DateTimeScalar } from './scalars';

/**
 * The API's GraphQL types, and the one mapping to each from the records and
 * views the store, the worker's replies and the live events carry.
 */

export const MessageKindEnum = { TEXT: 'TEXT', FILE: 'FILE', SYSTEM: 'SYSTEM' } as const satisfies Record<MessageKind, MessageKind>;
registerEnumType(MessageKindEnum, {
  name: 'MessageKind',
  valuesConfig: { SYSTEM: { description: 'Written by the service: a member joined, was invited, or left.' } },
});

@ObjectType('User')
export class UserType {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'Unique, 3-32 characters of [a-z0-9_.], case-insensitive.' }) username!: string;
  @Field(() => String) displayName!: string;
  @Field(() => String, { nullable: true, description: 'Only visible to the user themself; null for everyone else.' })
  email!: string | null;
  @Field(() => String, { description: 'Free-text status line, at most 140 characters.' }) statusMessage!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) lastLoginAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastLogoutAt!: Date | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Until when the moderation observer has muted this user (sendChat is then FORBIDDEN with extensions.reason MUTED). Only visible to the user themself.',
  })
  mutedUntil!: Date | null;

  /** `email` and `mutedUntil` are given only when the viewer is this user; everyone else sees null. */
  static from(user: PublicUser & { email?: string | null; mutedUntil?: string | null }): UserType {
    return Object.assign(new UserType(), {
      ...user,
      mutedUntil: user.mutedUntil ? new Date(user.mutedUntil) : null,
      email: user.email ?? null,
      createdAt: new Date(user.createdAt),
      lastLoginAt: user.lastLoginAt ? new Date(user.lastLoginAt) : null,
      lastLogoutAt: user.lastLogoutAt ? new Date(user.lastLogoutAt) : null,
    });
  }
}

@ObjectType('AuthPayload')
export class AuthPayloadType {
  @Field(() => String, { description: 'A bearer token for HTTP and WebSocket requests.' }) token!: string;
  @Field(() => DateTimeScalar) expiresAt!: Date;
  @Field(() => UserType) user!: UserType;
}

@ObjectType('Attachment')
export class AttachmentType {
  @Field(() => String) name!: string;
  @Field(() => String) contentType!: string;
  @Field(() => Int, { description: 'Size in bytes.' }) size!: number;
  @Field(() => String) url!: string;
}

@ObjectType('Reaction')
export class ReactionType {
  @Field(() => String, { description: 'A single emoji (one grapheme cluster).' }) emoji!: string;
  @Field(() => Int) count!: number;
  /** Who reacted: byViewer is answered from them, so a live event needs no read per subscriber. */
  userIds!: string[];

  @Field(() => Boolean, { description: 'Whether the viewer is among those who reacted with it.' })
  byViewer(@Ctx() ctx: { viewer: { userId: string } | null }): boolean {
    return ctx.viewer !== null && this.userIds.includes(ctx.viewer.userId);
  }

  static from(reaction: ReactionRecord): ReactionType {
    return Object.assign(new ReactionType(), { emoji: reaction.emoji, count: reaction.userIds.length, userIds: reaction.userIds });
  }
}

@ObjectType('Message')
export class MessageType {
  @Field(() => ID) id!: string;
  @Field(() => ID) roomId!: string;
  @Field(() => Int, { description: 'Position in the room: 1, 2, 3, ... with no gaps and no repeats.' }) seq!: number;
  @Field(() => MessageKindEnum) kind!: MessageKind;
  @Field(() => String) body!: string;
  @Field(() => UserType, { nullable: true, description: 'Null for SYSTEM messages.' }) sender!: UserType | null;
  @Field(() => AttachmentType, { nullable: true }) attachment!: AttachmentRecord | null;
  @Field(() => String, { nullable: true, description: "The sender's idempotency key, echoed back." })
  clientMessageId!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => Boolean, { description: 'Whether the viewer has bookmarked this message.' }) bookmarked!: boolean;
  @Field(() => MessageType, { nullable: true, description: 'The message this one answers, as it is now (it may be deleted).' })
  replyTo!: MessageType | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Set when the sender last edited the body.' }) editedAt!: Date | null;
  @Field(() => Boolean, { description: 'Once deleted, body is empty and attachment null; seq and sender stay.' }) deleted!: boolean;
  @Field(() => [ReactionType], { description: 'One entry per emoji, the most used first.' }) reactions!: ReactionType[];
  @Field(() => Int, {
    description:
      'Starts at 1 and grows with every change of the message (edit, delete,\nreaction). Of two copies of one message, a client keeps the higher version.',
  })
  version!: number;
  @Field(() => Int, {
    description:
      'How many members other than the sender have not read this message yet\n(their read marker is below its seq): the number a chat UI shows beside it.',
  })
  unreadBy!: number;

  static from({ message, bookmarked }: ViewedMessage): MessageType {
    return Object.assign(new MessageType(), {
      ...message,
      sender: message.sender ? UserType.from(message.sender) : null,
      createdAt: new Date(message.createdAt),
      bookmarked,
      // The replied-to message's own bookmark is not read: false (its replyTo and reactions are left out too).
      replyTo: message.replyTo ? MessageType.from({ message: message.replyTo, bookmarked: false }) : null,
      editedAt: message.editedAt ? new Date(message.editedAt) : null,
      deleted: message.deleted ?? false,
      reactions: (message.reactions ?? []).map((reaction) => ReactionType.from(reaction)),
      version: message.version ?? 1,
      unreadBy: message.unreadBy ?? 0,
    });
  }
}

@ObjectType('Room')
export class RoomType {
  /**
   * The view shown. Its members and last message become GraphQL objects only
   * when a query selects them: a message becomes a RoomChanged for every
   * member's myEvents, and building each one's member list took more than a
   * quarter of a busy gateway's CPU when the subscription selected none of it.
   */
  private view!: RoomView;

  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;

  @Field(() => [UserType])
  get members(): UserType[] {
    return this.view.members.map((member) => UserType.from(member));
  }

  @Field(() => Int, { description: 'seq of the newest message, 0 for an empty room.' }) lastSeq!: number;

  @Field(() => MessageType, { nullable: true })
  get lastMessage(): MessageType | null {
    return this.view.lastMessage ? MessageType.from(this.view.lastMessage) : null;
  }

  @Field(() => Int, { description: "The viewer's read marker: the highest seq they have read." }) lastReadSeq!: number;
  @Field(() => Int, { description: "Messages after the viewer's read marker that others sent." }) unreadCount!: number;

  static from(room: RoomView): RoomType {
    const { id, name, lastSeq, lastReadSeq, unreadCount } = room;
    return Object.assign(new RoomType(), { view: room, id, name, createdAt: new Date(room.createdAt), lastSeq, lastReadSeq, unreadCount });
  }
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType('MessageEdge')
export class MessageEdgeType {
  @Field(() => String) cursor!: string;
  @Field(() => MessageType) node!: MessageType;
}

@ObjectType('MessageConnection', { description: 'Relay-style connection, ordered by seq ascending.' })
export class MessageConnectionType {
  @Field(() => [MessageEdgeType]) edges!: MessageEdgeType[];
  @Field(() => PageInfoType) pageInfo!: PageInfoType;

  /** A page of `range` (ascending) in a room whose newest message is `lastSeq`; cursors are seqs. */
  static from(messages: ViewedMessage[], lastSeq: number, range: SeqRange): MessageConnectionType {
    const seqs = messages.map(({ message }) => message.seq);
    return {
      edges: messages.map((viewed) => ({ cursor: String(viewed.message.seq), node: MessageType.from(viewed) })),
      pageInfo: seqPageInfo(seqs, lastSeq, range.afterSeq, range.beforeSeq),
    };
  }
}

@InputType('SignUpInput')
export class SignUpInput {
  @Field(() => String) username!: string;
  @Field(() => String, { description: '8-128 characters.' }) password!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
}

@InputType('AttachmentInput')
export class AttachmentInput {
  @Field(() => String) name!: string;
  @Field(() => String) contentType!: string;
  @Field(() => Int) size!: number;
  @Field(() => String) url!: string;
}

@InputType('SendChatInput')
export class SendChatInput {
  @Field(() => ID) roomId!: string;
  @Field(() => String, { description: '1-4000 characters; may be empty only when an attachment is given.' }) body!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'Idempotency key chosen by the client (at most 64 characters). Sending the\nsame key again in the same room returns the first message, never a copy.',
  })
  clientMessageId?: string | null;
  @Field(() => AttachmentInput, { nullable: true, description: 'Makes it a FILE message.' }) attachment?: AttachmentInput | null;
  @Field(() => ID, { nullable: true, description: 'A message of the same room that this one answers.' }) replyToId?: string | null;
}

@ObjectType('UploadTicket')
export class UploadTicketType {
  @Field(() => String, {
    description: "Send the file's bytes here with an HTTP PUT (Content-Type as declared, the\nsame Authorization header), once, before expiresAt.",
  })
  uploadUrl!: string;
  @Field(() => String, { description: 'The url to give as AttachmentInput.url once the upload has finished.' }) url!: string;
  @Field(() => DateTimeScalar) expiresAt!: Date;
}
