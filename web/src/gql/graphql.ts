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
  /** A message of the same room that this one answers. */
  replyToId?: string | number | null | undefined;
  roomId: string | number;
};

export type SignUpInput = {
  displayName?: string | null | undefined;
  email?: string | null | undefined;
  /** 8-128 characters. */
  password: string;
  username: string;
};

export type CreateUploadMutationVariables = Exact<{
  name: string;
  contentType: string;
  size: number;
}>;


export type CreateUploadMutation = { createUpload: { uploadUrl: string, url: string, expiresAt: string } };

export type RoomEventsSubscriptionVariables = Exact<{
  roomId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type RoomEventsSubscription = { roomEvents:
    | { __typename: 'MessageAdded', message: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } }
    | { __typename: 'MessageChanged', message: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } }
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

export type MessageExtrasFragment = { version: number, deleted: boolean, editedAt: string | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null };

export type EditMessageMutationVariables = Exact<{
  messageId: string | number;
  body: string;
}>;


export type EditMessageMutation = { editMessage: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } };

export type DeleteMessageMutationVariables = Exact<{
  messageId: string | number;
}>;


export type DeleteMessageMutation = { deleteMessage: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } };

export type AddReactionMutationVariables = Exact<{
  messageId: string | number;
  emoji: string;
}>;


export type AddReactionMutation = { addReaction: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } };

export type RemoveReactionMutationVariables = Exact<{
  messageId: string | number;
  emoji: string;
}>;


export type RemoveReactionMutation = { removeReaction: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } };

export type ChatMessageFragment = { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null };

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


export type RoomHistoryQuery = { messages: { edges: Array<{ node: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } }>, pageInfo: { hasPreviousPage: boolean, startCursor: string | null } } };

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


export type RoomMessagesSubscription = { roomMessages: { id: string, seq: number, kind: MessageKind, body: string, createdAt: string, roomId: string, unreadBy: number, version: number, deleted: boolean, editedAt: string | null, sender: { id: string, username: string, displayName: string } | null, attachment: { name: string, contentType: string, url: string, size: number } | null, reactions: Array<{ emoji: string, count: number, byViewer: boolean }>, replyTo: { id: string, seq: number, body: string, deleted: boolean, sender: { displayName: string } | null } | null } };

export type SearchMessagesQueryVariables = Exact<{
  query: string;
  after?: string | null | undefined;
}>;


export type SearchMessagesQuery = { searchMessages: { edges: Array<{ cursor: string, node: { id: string, roomId: string, seq: number, body: string, sender: { displayName: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

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
export const MessageExtrasFragmentDoc = new TypedDocumentString(`
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
    }
  }
}
    `, {"fragmentName":"MessageExtras"}) as unknown as TypedDocumentString<MessageExtrasFragment, unknown>;
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
}
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
    }
  }
}`, {"fragmentName":"ChatMessage"}) as unknown as TypedDocumentString<ChatMessageFragment, unknown>;
export const CreateUploadDocument = new TypedDocumentString(`
    mutation CreateUpload($name: String!, $contentType: String!, $size: Int!) {
  createUpload(name: $name, contentType: $contentType, size: $size) {
    uploadUrl
    url
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<CreateUploadMutation, CreateUploadMutationVariables>;
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
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
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
export const EditMessageDocument = new TypedDocumentString(`
    mutation EditMessage($messageId: ID!, $body: String!) {
  editMessage(messageId: $messageId, body: $body) {
    ...ChatMessage
  }
}
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
}`) as unknown as TypedDocumentString<EditMessageMutation, EditMessageMutationVariables>;
export const DeleteMessageDocument = new TypedDocumentString(`
    mutation DeleteMessage($messageId: ID!) {
  deleteMessage(messageId: $messageId) {
    ...ChatMessage
  }
}
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
}`) as unknown as TypedDocumentString<DeleteMessageMutation, DeleteMessageMutationVariables>;
export const AddReactionDocument = new TypedDocumentString(`
    mutation AddReaction($messageId: ID!, $emoji: String!) {
  addReaction(messageId: $messageId, emoji: $emoji) {
    ...ChatMessage
  }
}
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
}`) as unknown as TypedDocumentString<AddReactionMutation, AddReactionMutationVariables>;
export const RemoveReactionDocument = new TypedDocumentString(`
    mutation RemoveReaction($messageId: ID!, $emoji: String!) {
  removeReaction(messageId: $messageId, emoji: $emoji) {
    ...ChatMessage
  }
}
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
}`) as unknown as TypedDocumentString<RemoveReactionMutation, RemoveReactionMutationVariables>;
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
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
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
    fragment MessageExtras on Message {
  version
  deleted
  editedAt
  reactions {
    emoji
    count
    byViewer
  }
  replyTo {
    id
    seq
    body
    deleted
    sender {
      displayName
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
    contentType
    url
    size
  }
  roomId
  unreadBy
  ...MessageExtras
}`) as unknown as TypedDocumentString<RoomMessagesSubscription, RoomMessagesSubscriptionVariables>;
export const SearchMessagesDocument = new TypedDocumentString(`
    query SearchMessages($query: String!, $after: String) {
  searchMessages(query: $query, first: 20, after: $after) {
    edges {
      cursor
      node {
        id
        roomId
        seq
        body
        sender {
          displayName
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<SearchMessagesQuery, SearchMessagesQueryVariables>;