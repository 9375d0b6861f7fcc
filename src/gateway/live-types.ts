import { Field, ID, Int, ObjectType, createUnionType, registerEnumType } from 'type-graphql';
import type { AccountNoticeEvent, PublicUser, ViewedMessage } from '../contracts/records';
import type { RoomItem } from '../live/room-stream';
import type { UserItem } from '../live/user-streams';
import { DateTimeScalar } from './scalars';
import { MessageType, RoomType, UserType } from './types';

/** The GraphQL types of roomEvents and myEvents, and the one mapping to each from what the live streams hand out. */

@ObjectType('MessageAdded', { description: 'A new message (the same messages, in the same order, as roomMessages).' })
export class MessageAddedType {
  @Field(() => MessageType) message!: MessageType;
}

@ObjectType('MessageChanged', { description: 'An edit, a deletion or a change of reactions, with the message as it is now.' })
export class MessageChangedType {
  @Field(() => MessageType) message!: MessageType;
}

@ObjectType('ReadMarkerMoved', { description: "A member's read marker moved forward." })
export class ReadMarkerMovedType {
  @Field(() => ID) roomId!: string;
  @Field(() => UserType) user!: UserType;
  @Field(() => Int) lastReadSeq!: number;
  @Field(() => Int, {
    description: 'Where the marker was: the messages in (previousReadSeq, lastReadSeq] not sent by `user` have one reader more (unreadBy - 1).',
  })
  previousReadSeq!: number;
}

@ObjectType('TypingChanged')
export class TypingChangedType {
  @Field(() => ID) roomId!: string;
  @Field(() => UserType) user!: UserType;
  @Field(() => Boolean) typing!: boolean;
}

export const RoomEventUnion = createUnionType({
  name: 'RoomEvent',
  description: 'A change inside a room, as delivered by roomEvents.',
  types: () => [MessageAddedType, MessageChangedType, ReadMarkerMovedType, TypingChangedType] as const,
});

@ObjectType('RoomChanged', {
  description:
    'A room to add to or update in the viewer\'s room list: created or joined, a new\nmessage (lastMessage, lastSeq, unreadCount), the viewer\'s marker moved, a\nmember came or went.',
})
export class RoomChangedType {
  @Field(() => RoomType) room!: RoomType;
}

@ObjectType('RoomRemoved', { description: 'The viewer left the room (on any device), or it is otherwise gone for them.' })
export class RoomRemovedType {
  @Field(() => ID) roomId!: string;
}

@ObjectType('FriendChanged', { description: 'A friendship began (friend: true) or ended.' })
export class FriendChangedType {
  @Field(() => UserType) user!: UserType;
  @Field(() => Boolean) friend!: boolean;
}

@ObjectType('PresenceChanged', { description: 'A friend came online or went offline (see User.online and User.lastSeenAt).' })
export class PresenceChangedType {
  @Field(() => UserType) user!: UserType;
}

export const NoticeKindEnum = { MUTED: 'MUTED', UNMUTED: 'UNMUTED' } as const satisfies Record<AccountNoticeEvent['kind'], string>;
registerEnumType(NoticeKindEnum, {
  name: 'NoticeKind',
  valuesConfig: { MUTED: { description: 'The moderation observer muted the viewer until `until`.' } },
});

@ObjectType('AccountNotice')
export class AccountNoticeType {
  @Field(() => NoticeKindEnum) kind!: AccountNoticeEvent['kind'];
  @Field(() => String, { description: 'Why, in words a person can read.' }) message!: string;
  @Field(() => DateTimeScalar, { nullable: true }) until!: Date | null;
}

export const UserEventUnion = createUnionType({
  name: 'UserEvent',
  description: 'A change that concerns the viewer, as delivered by myEvents.',
  types: () => [RoomChangedType, RoomRemovedType, FriendChangedType, PresenceChangedType, AccountNoticeType] as const,
});

const user = (u: PublicUser) => UserType.from(u);

export function roomEventOf(item: RoomItem): MessageAddedType | MessageChangedType | ReadMarkerMovedType | TypingChangedType {
  if (!('type' in item)) return Object.assign(new MessageAddedType(), { message: MessageType.from(item as ViewedMessage) });
  switch (item.type) {
    case 'message-changed':
      // Whether this viewer bookmarked it is not in the event: a client keeps the flag it has.
      return Object.assign(new MessageChangedType(), { message: MessageType.from({ message: item.message, bookmarked: false }) });
    case 'read-marker-moved':
      return Object.assign(new ReadMarkerMovedType(), {
        roomId: item.roomId,
        user: user(item.user),
        lastReadSeq: item.lastReadSeq,
        previousReadSeq: item.previousReadSeq ?? item.lastReadSeq,
      });
    case 'typing':
      return Object.assign(new TypingChangedType(), { roomId: item.roomId, user: user(item.user), typing: item.typing });
  }
}

export function userEventOf(item: UserItem): RoomChangedType | RoomRemovedType | FriendChangedType | PresenceChangedType | AccountNoticeType {
  switch (item.kind) {
    case 'room-changed':
      return Object.assign(new RoomChangedType(), { room: RoomType.from(item.room) });
    case 'room-removed':
      return Object.assign(new RoomRemovedType(), { roomId: item.roomId });
    case 'friend-changed':
      return Object.assign(new FriendChangedType(), { user: user(item.user), friend: item.friend });
    case 'presence-changed':
      return Object.assign(new PresenceChangedType(), { user: user(item.user) });
    case 'account-notice':
      return Object.assign(new AccountNoticeType(), {
        kind: item.notice.kind,
        message: item.notice.message,
        until: item.notice.until ? new Date(item.notice.until) : null,
      });
  }
}
