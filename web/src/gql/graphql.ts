/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AttachmentInput = {
  contentType: string;
  name: string;
  size: number;
  url: string;
};

export type MessageKind =
  | 'FILE'
  /** Written by the service: a member joined, was invited, or left. */
  | 'SYSTEM'
  | 'TEXT';

export type NoticeKind =
  /** The moderation observer muted the viewer until `until`. */
  | 'MUTED'
  | 'UNMUTED';

export type SendChatInput = {
  /** Makes it a FILE message. */
  attachment?: AttachmentInput | null | undefined;
  /** 1-4000 characters; may be empty only when an attachment is given. */
  body: string;
  /**
   * Idempotency key chosen by the client (at most 64 characters). Sending the
   * same key again in the same room returns the first message, never a copy.
   */
  clientMessageId?: string | null | undefined;
  roomId: string | number;
};

export type SignUpInput = {
  displayName?: string | null | undefined;
  email?: string | null | undefined;
  /** 8-128 characters. */
  password: string;
  username: string;
};

export type RoomEventsSubscriptionVariables = Exact<{
  roomId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type RoomEventsSubscription = { roomEvents:
    | { __typename: 'MessageAdded', message: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, unreadBy: number, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, url: string, size: number } | null } }
    | { __typename: 'MessageChanged', message: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, unreadBy: number, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, url: string, size: number } | null } }
    | { __typename: 'ReadMarkerMoved', lastReadSeq: number, previousReadSeq: number, user: { id: string } }
    | { __typename: 'TypingChanged', typing: boolean, user: { id: string, displayName: string } }
   };

export type MyEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type MyEventsSubscription = { myEvents:
    | { __typename: 'AccountNotice', kind: NoticeKind, message: string, until: string | null }
    | { __typename: 'FriendChanged', friend: boolean, user: { id: string, username: string, displayName: string, online: boolean } }
    | { __typename: 'PresenceChanged', user: { id: string, online: boolean } }
    | { __typename: 'RoomChanged', room: { id: string, name: string, lastSeq: number, unreadCount: number, members: Array<{ id: string, username: string }> } }
    | { __typename: 'RoomRemoved', roomId: string }
   };

export type SetTypingMutationVariables = Exact<{
  roomId: string | number;
  typing: boolean;
}>;


export type SetTypingMutation = { setTyping: boolean };

export type ChatMessageFragment = { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, unreadBy: number, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, url: string, size: number } | null };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { signUp: { token: string, user: { id: string, username: string, displayName: string } } };

export type LogInMutationVariables = Exact<{
  username: string;
  password: string;
}>;


export type LogInMutation = { login: { token: string, user: { id: string, username: string, displayName: string } } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, username: string, displayName: string } };

export type LogOutMutationVariables = Exact<{ [key: string]: never; }>;


export type LogOutMutation = { logout: boolean };

export type SearchUsersQueryVariables = Exact<{
  query: string;
}>;


export type SearchUsersQuery = { searchUsers: Array<{ id: string, username: string, displayName: string }> };

export type AddFriendMutationVariables = Exact<{
  userId: string | number;
}>;


export type AddFriendMutation = { addFriend: { id: string } };

export type SidebarQueryVariables = Exact<{ [key: string]: never; }>;


export type SidebarQuery = { friends: Array<{ id: string, username: string, displayName: string, online: boolean }>, rooms: Array<{ id: string, name: string, lastSeq: number, unreadCount: number, members: Array<{ id: string, username: string }> }> };

export type CreateRoomMutationVariables = Exact<{
  name?: string | null | undefined;
  memberIds: Array<string | number> | string | number;
}>;


export type CreateRoomMutation = { createRoom: { id: string, name: string } };

export type RoomHistoryQueryVariables = Exact<{
  roomId: string | number;
  last: number;
  before?: string | null | undefined;
}>;


export type RoomHistoryQuery = { messages: { edges: Array<{ node: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, unreadBy: number, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, url: string, size: number } | null } }>, pageInfo: { hasPreviousPage: boolean, startCursor: string | null } } };

export type SendChatMutationVariables = Exact<{
  input: SendChatInput;
}>;


export type SendChatMutation = { sendChat: { id: string, seq: number } };

export type MarkReadMutationVariables = Exact<{
  roomId: string | number;
  seq: number;
}>;


export type MarkReadMutation = { markRead: { id: string, unreadCount: number } };

export type RoomMessagesSubscriptionVariables = Exact<{
  roomId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type RoomMessagesSubscription = { roomMessages: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, unreadBy: number, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, url: string, size: number } | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ChatMessageFragmentDoc = new TypedDocumentString(`
    fragment ChatMessage on Message {
  id
  seq
  kind
  body
  createdAt
  sender {
    id
    username
    displayName
  }
  attachment {
    name
    url
    size
  }
  unreadBy
}
    `, {"fragmentName":"ChatMessage"}) as unknown as TypedDocumentString<ChatMessageFragment, unknown>;
export const RoomEventsDocument = new TypedDocumentString(`
    subscription RoomEvents($roomId: ID!, $afterSeq: Int) {
  roomEvents(roomId: $roomId, afterSeq: $afterSeq) {
    __typename
    ... on MessageAdded {
      message {
        ...ChatMessage
      }
    }
    ... on MessageChanged {
      message {
        ...ChatMessage
      }
    }
    ... on ReadMarkerMoved {
      user {
        id
      }
      lastReadSeq
      previousReadSeq
    }
    ... on TypingChanged {
      user {
        id
        displayName
      }
      typing
    }
  }
}
    fragment ChatMessage on Message {
  id
  seq
  kind
  body
  createdAt
  sender {
    id
    username
    displayName
  }
  attachment {
    name
    url
    size
  }
  unreadBy
}`) as unknown as TypedDocumentString<RoomEventsSubscription, RoomEventsSubscriptionVariables>;
export const MyEventsDocument = new TypedDocumentString(`
    subscription MyEvents {
  myEvents {
    __typename
    ... on RoomChanged {
      room {
        id
        name
        lastSeq
        unreadCount
        members {
          id
          username
        }
      }
    }
    ... on RoomRemoved {
      roomId
    }
    ... on FriendChanged {
      user {
        id
        username
        displayName
        online
      }
      friend
    }
    ... on PresenceChanged {
      user {
        id
        online
      }
    }
    ... on AccountNotice {
      kind
      message
      until
    }
  }
}
    `) as unknown as TypedDocumentString<MyEventsSubscription, MyEventsSubscriptionVariables>;
export const SetTypingDocument = new TypedDocumentString(`
    mutation SetTyping($roomId: ID!, $typing: Boolean!) {
  setTyping(roomId: $roomId, typing: $typing)
}
    `) as unknown as TypedDocumentString<SetTypingMutation, SetTypingMutationVariables>;
export const SignUpDocument = new TypedDocumentString(`
    mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    token
    user {
      id
      username
      displayName
    }
  }
}
    `) as unknown as TypedDocumentString<SignUpMutation, SignUpMutationVariables>;
export const LogInDocument = new TypedDocumentString(`
    mutation LogIn($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    token
    user {
      id
      username
      displayName
    }
  }
}
    `) as unknown as TypedDocumentString<LogInMutation, LogInMutationVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    id
    username
    displayName
  }
}
    `) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const LogOutDocument = new TypedDocumentString(`
    mutation LogOut {
  logout
}
    `) as unknown as TypedDocumentString<LogOutMutation, LogOutMutationVariables>;
export const SearchUsersDocument = new TypedDocumentString(`
    query SearchUsers($query: String!) {
  searchUsers(query: $query, first: 10) {
    id
    username
    displayName
  }
}
    `) as unknown as TypedDocumentString<SearchUsersQuery, SearchUsersQueryVariables>;
export const AddFriendDocument = new TypedDocumentString(`
    mutation AddFriend($userId: ID!) {
  addFriend(userId: $userId) {
    id
  }
}
    `) as unknown as TypedDocumentString<AddFriendMutation, AddFriendMutationVariables>;
export const SidebarDocument = new TypedDocumentString(`
    query Sidebar {
  friends(first: 100) {
    id
    username
    displayName
    online
  }
  rooms(first: 20) {
    id
    name
    lastSeq
    unreadCount
    members {
      id
      username
    }
  }
}
    `) as unknown as TypedDocumentString<SidebarQuery, SidebarQueryVariables>;
export const CreateRoomDocument = new TypedDocumentString(`
    mutation CreateRoom($name: String, $memberIds: [ID!]!) {
  createRoom(name: $name, memberIds: $memberIds) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CreateRoomMutation, CreateRoomMutationVariables>;
export const RoomHistoryDocument = new TypedDocumentString(`
    query RoomHistory($roomId: ID!, $last: Int!, $before: String) {
  messages(roomId: $roomId, last: $last, before: $before) {
    edges {
      node {
        ...ChatMessage
      }
    }
    pageInfo {
      hasPreviousPage
      startCursor
    }
  }
}
    fragment ChatMessage on Message {
  id
  seq
  kind
  body
  createdAt
  sender {
    id
    username
    displayName
  }
  attachment {
    name
    url
    size
  }
  unreadBy
}`) as unknown as TypedDocumentString<RoomHistoryQuery, RoomHistoryQueryVariables>;
export const SendChatDocument = new TypedDocumentString(`
    mutation SendChat($input: SendChatInput!) {
  sendChat(input: $input) {
    id
    seq
  }
}
    `) as unknown as TypedDocumentString<SendChatMutation, SendChatMutationVariables>;
export const MarkReadDocument = new TypedDocumentString(`
    mutation MarkRead($roomId: ID!, $seq: Int!) {
  markRead(roomId: $roomId, seq: $seq) {
    id
    unreadCount
  }
}
    `) as unknown as TypedDocumentString<MarkReadMutation, MarkReadMutationVariables>;
export const RoomMessagesDocument = new TypedDocumentString(`
    subscription RoomMessages($roomId: ID!, $afterSeq: Int) {
  roomMessages(roomId: $roomId, afterSeq: $afterSeq) {
    ...ChatMessage
  }
}
    fragment ChatMessage on Message {
  id
  seq
  kind
  body
  createdAt
  sender {
    id
    username
    displayName
  }
  attachment {
    name
    url
    size
  }
  unreadBy
}`) as unknown as TypedDocumentString<RoomMessagesSubscription, RoomMessagesSubscriptionVariables>;