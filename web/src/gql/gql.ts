/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation CreateUpload($name: String!, $contentType: String!, $size: Int!) {\n    createUpload(name: $name, contentType: $contentType, size: $size) { uploadUrl url expiresAt }\n  }\n": typeof types.CreateUploadDocument,
    "\n  subscription RoomEvents($roomId: ID!, $afterSeq: Int) {\n    roomEvents(roomId: $roomId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageAdded { message { ...ChatMessage } }\n      ... on MessageChanged { message { ...ChatMessage } }\n      ... on ReadMarkerMoved { user { id } lastReadSeq previousReadSeq }\n      ... on TypingChanged { user { id displayName } typing }\n    }\n  }\n": typeof types.RoomEventsDocument,
    "\n  subscription MyEvents {\n    myEvents {\n      __typename\n      ... on RoomChanged { room { id name lastSeq unreadCount members { id username } } }\n      ... on RoomRemoved { roomId }\n      ... on FriendChanged { user { id username displayName online } friend }\n      ... on PresenceChanged { user { id online } }\n      ... on AccountNotice { kind message until }\n    }\n  }\n": typeof types.MyEventsDocument,
    "\n  mutation SetTyping($roomId: ID!, $typing: Boolean!) {\n    setTyping(roomId: $roomId, typing: $typing)\n  }\n": typeof types.SetTypingDocument,
    "\n  fragment MessageExtras on Message {\n    version\n    deleted\n    editedAt\n    reactions { emoji count byViewer }\n    replyTo { id seq body deleted sender { displayName } }\n  }\n": typeof types.MessageExtrasFragmentDoc,
    "\n  mutation EditMessage($messageId: ID!, $body: String!) {\n    editMessage(messageId: $messageId, body: $body) { ...ChatMessage }\n  }\n": typeof types.EditMessageDocument,
    "\n  mutation DeleteMessage($messageId: ID!) {\n    deleteMessage(messageId: $messageId) { ...ChatMessage }\n  }\n": typeof types.DeleteMessageDocument,
    "\n  mutation AddReaction($messageId: ID!, $emoji: String!) {\n    addReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }\n  }\n": typeof types.AddReactionDocument,
    "\n  mutation RemoveReaction($messageId: ID!, $emoji: String!) {\n    removeReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }\n  }\n": typeof types.RemoveReactionDocument,
    "\n  fragment ChatMessage on Message {\n    id\n    seq\n    kind\n    body\n    createdAt\n    sender { id username displayName }\n    attachment { name contentType url size }\n    roomId\n    unreadBy\n    ...MessageExtras\n  }\n": typeof types.ChatMessageFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) { token user { id username displayName } }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($username: String!, $password: String!) {\n    login(username: $username, password: $password) { token user { id username displayName } }\n  }\n": typeof types.LogInDocument,
    "\n  query Me {\n    me { id username displayName }\n  }\n": typeof types.MeDocument,
    "\n  mutation LogOut {\n    logout\n  }\n": typeof types.LogOutDocument,
    "\n  query SearchUsers($query: String!) {\n    searchUsers(query: $query, first: 10) { id username displayName }\n  }\n": typeof types.SearchUsersDocument,
    "\n  mutation AddFriend($userId: ID!) {\n    addFriend(userId: $userId) { id }\n  }\n": typeof types.AddFriendDocument,
    "\n  query Sidebar {\n    friends(first: 100) { id username displayName online }\n    rooms(first: 20) { id name lastSeq unreadCount members { id username } }\n  }\n": typeof types.SidebarDocument,
    "\n  mutation CreateRoom($name: String, $memberIds: [ID!]!) {\n    createRoom(name: $name, memberIds: $memberIds) { id name }\n  }\n": typeof types.CreateRoomDocument,
    "\n  query RoomHistory($roomId: ID!, $last: Int!, $before: String) {\n    messages(roomId: $roomId, last: $last, before: $before) {\n      edges { node { ...ChatMessage } }\n      pageInfo { hasPreviousPage startCursor }\n    }\n  }\n": typeof types.RoomHistoryDocument,
    "\n  mutation SendChat($input: SendChatInput!) {\n    sendChat(input: $input) { id seq }\n  }\n": typeof types.SendChatDocument,
    "\n  mutation MarkRead($roomId: ID!, $seq: Int!) {\n    markRead(roomId: $roomId, seq: $seq) { id unreadCount }\n  }\n": typeof types.MarkReadDocument,
    "\n  subscription RoomMessages($roomId: ID!, $afterSeq: Int) {\n    roomMessages(roomId: $roomId, afterSeq: $afterSeq) { ...ChatMessage }\n  }\n": typeof types.RoomMessagesDocument,
    "\n  query SearchMessages($query: String!, $after: String) {\n    searchMessages(query: $query, first: 20, after: $after) {\n      edges { cursor node { id roomId seq body sender { displayName } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.SearchMessagesDocument,
};
const documents: Documents = {
    "\n  mutation CreateUpload($name: String!, $contentType: String!, $size: Int!) {\n    createUpload(name: $name, contentType: $contentType, size: $size) { uploadUrl url expiresAt }\n  }\n": types.CreateUploadDocument,
    "\n  subscription RoomEvents($roomId: ID!, $afterSeq: Int) {\n    roomEvents(roomId: $roomId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageAdded { message { ...ChatMessage } }\n      ... on MessageChanged { message { ...ChatMessage } }\n      ... on ReadMarkerMoved { user { id } lastReadSeq previousReadSeq }\n      ... on TypingChanged { user { id displayName } typing }\n    }\n  }\n": types.RoomEventsDocument,
    "\n  subscription MyEvents {\n    myEvents {\n      __typename\n      ... on RoomChanged { room { id name lastSeq unreadCount members { id username } } }\n      ... on RoomRemoved { roomId }\n      ... on FriendChanged { user { id username displayName online } friend }\n      ... on PresenceChanged { user { id online } }\n      ... on AccountNotice { kind message until }\n    }\n  }\n": types.MyEventsDocument,
    "\n  mutation SetTyping($roomId: ID!, $typing: Boolean!) {\n    setTyping(roomId: $roomId, typing: $typing)\n  }\n": types.SetTypingDocument,
    "\n  fragment MessageExtras on Message {\n    version\n    deleted\n    editedAt\n    reactions { emoji count byViewer }\n    replyTo { id seq body deleted sender { displayName } }\n  }\n": types.MessageExtrasFragmentDoc,
    "\n  mutation EditMessage($messageId: ID!, $body: String!) {\n    editMessage(messageId: $messageId, body: $body) { ...ChatMessage }\n  }\n": types.EditMessageDocument,
    "\n  mutation DeleteMessage($messageId: ID!) {\n    deleteMessage(messageId: $messageId) { ...ChatMessage }\n  }\n": types.DeleteMessageDocument,
    "\n  mutation AddReaction($messageId: ID!, $emoji: String!) {\n    addReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }\n  }\n": types.AddReactionDocument,
    "\n  mutation RemoveReaction($messageId: ID!, $emoji: String!) {\n    removeReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }\n  }\n": types.RemoveReactionDocument,
    "\n  fragment ChatMessage on Message {\n    id\n    seq\n    kind\n    body\n    createdAt\n    sender { id username displayName }\n    attachment { name contentType url size }\n    roomId\n    unreadBy\n    ...MessageExtras\n  }\n": types.ChatMessageFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) { token user { id username displayName } }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($username: String!, $password: String!) {\n    login(username: $username, password: $password) { token user { id username displayName } }\n  }\n": types.LogInDocument,
    "\n  query Me {\n    me { id username displayName }\n  }\n": types.MeDocument,
    "\n  mutation LogOut {\n    logout\n  }\n": types.LogOutDocument,
    "\n  query SearchUsers($query: String!) {\n    searchUsers(query: $query, first: 10) { id username displayName }\n  }\n": types.SearchUsersDocument,
    "\n  mutation AddFriend($userId: ID!) {\n    addFriend(userId: $userId) { id }\n  }\n": types.AddFriendDocument,
    "\n  query Sidebar {\n    friends(first: 100) { id username displayName online }\n    rooms(first: 20) { id name lastSeq unreadCount members { id username } }\n  }\n": types.SidebarDocument,
    "\n  mutation CreateRoom($name: String, $memberIds: [ID!]!) {\n    createRoom(name: $name, memberIds: $memberIds) { id name }\n  }\n": types.CreateRoomDocument,
    "\n  query RoomHistory($roomId: ID!, $last: Int!, $before: String) {\n    messages(roomId: $roomId, last: $last, before: $before) {\n      edges { node { ...ChatMessage } }\n      pageInfo { hasPreviousPage startCursor }\n    }\n  }\n": types.RoomHistoryDocument,
    "\n  mutation SendChat($input: SendChatInput!) {\n    sendChat(input: $input) { id seq }\n  }\n": types.SendChatDocument,
    "\n  mutation MarkRead($roomId: ID!, $seq: Int!) {\n    markRead(roomId: $roomId, seq: $seq) { id unreadCount }\n  }\n": types.MarkReadDocument,
    "\n  subscription RoomMessages($roomId: ID!, $afterSeq: Int) {\n    roomMessages(roomId: $roomId, afterSeq: $afterSeq) { ...ChatMessage }\n  }\n": types.RoomMessagesDocument,
    "\n  query SearchMessages($query: String!, $after: String) {\n    searchMessages(query: $query, first: 20, after: $after) {\n      edges { cursor node { id roomId seq body sender { displayName } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.SearchMessagesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateUpload($name: String!, $contentType: String!, $size: Int!) {\n    createUpload(name: $name, contentType: $contentType, size: $size) { uploadUrl url expiresAt }\n  }\n"): typeof import('./graphql').CreateUploadDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RoomEvents($roomId: ID!, $afterSeq: Int) {\n    roomEvents(roomId: $roomId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageAdded { message { ...ChatMessage } }\n      ... on MessageChanged { message { ...ChatMessage } }\n      ... on ReadMarkerMoved { user { id } lastReadSeq previousReadSeq }\n      ... on TypingChanged { user { id displayName } typing }\n    }\n  }\n"): typeof import('./graphql').RoomEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MyEvents {\n    myEvents {\n      __typename\n      ... on RoomChanged { room { id name lastSeq unreadCount members { id username } } }\n      ... on RoomRemoved { roomId }\n      ... on FriendChanged { user { id username displayName online } friend }\n      ... on PresenceChanged { user { id online } }\n      ... on AccountNotice { kind message until }\n    }\n  }\n"): typeof import('./graphql').MyEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetTyping($roomId: ID!, $typing: Boolean!) {\n    setTyping(roomId: $roomId, typing: $typing)\n  }\n"): typeof import('./graphql').SetTypingDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageExtras on Message {\n    version\n    deleted\n    editedAt\n    reactions { emoji count byViewer }\n    replyTo { id seq body deleted sender { displayName } }\n  }\n"): typeof import('./graphql').MessageExtrasFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EditMessage($messageId: ID!, $body: String!) {\n    editMessage(messageId: $messageId, body: $body) { ...ChatMessage }\n  }\n"): typeof import('./graphql').EditMessageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMessage($messageId: ID!) {\n    deleteMessage(messageId: $messageId) { ...ChatMessage }\n  }\n"): typeof import('./graphql').DeleteMessageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddReaction($messageId: ID!, $emoji: String!) {\n    addReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }\n  }\n"): typeof import('./graphql').AddReactionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveReaction($messageId: ID!, $emoji: String!) {\n    removeReaction(messageId: $messageId, emoji: $emoji) { ...ChatMessage }\n  }\n"): typeof import('./graphql').RemoveReactionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ChatMessage on Message {\n    id\n    seq\n    kind\n    body\n    createdAt\n    sender { id username displayName }\n    attachment { name contentType url size }\n    roomId\n    unreadBy\n    ...MessageExtras\n  }\n"): typeof import('./graphql').ChatMessageFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) { token user { id username displayName } }\n  }\n"): typeof import('./graphql').SignUpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($username: String!, $password: String!) {\n    login(username: $username, password: $password) { token user { id username displayName } }\n  }\n"): typeof import('./graphql').LogInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me { id username displayName }\n  }\n"): typeof import('./graphql').MeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut {\n    logout\n  }\n"): typeof import('./graphql').LogOutDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchUsers($query: String!) {\n    searchUsers(query: $query, first: 10) { id username displayName }\n  }\n"): typeof import('./graphql').SearchUsersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddFriend($userId: ID!) {\n    addFriend(userId: $userId) { id }\n  }\n"): typeof import('./graphql').AddFriendDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sidebar {\n    friends(first: 100) { id username displayName online }\n    rooms(first: 20) { id name lastSeq unreadCount members { id username } }\n  }\n"): typeof import('./graphql').SidebarDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateRoom($name: String, $memberIds: [ID!]!) {\n    createRoom(name: $name, memberIds: $memberIds) { id name }\n  }\n"): typeof import('./graphql').CreateRoomDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RoomHistory($roomId: ID!, $last: Int!, $before: String) {\n    messages(roomId: $roomId, last: $last, before: $before) {\n      edges { node { ...ChatMessage } }\n      pageInfo { hasPreviousPage startCursor }\n    }\n  }\n"): typeof import('./graphql').RoomHistoryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendChat($input: SendChatInput!) {\n    sendChat(input: $input) { id seq }\n  }\n"): typeof import('./graphql').SendChatDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkRead($roomId: ID!, $seq: Int!) {\n    markRead(roomId: $roomId, seq: $seq) { id unreadCount }\n  }\n"): typeof import('./graphql').MarkReadDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RoomMessages($roomId: ID!, $afterSeq: Int) {\n    roomMessages(roomId: $roomId, afterSeq: $afterSeq) { ...ChatMessage }\n  }\n"): typeof import('./graphql').RoomMessagesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchMessages($query: String!, $after: String) {\n    searchMessages(query: $query, first: 20, after: $after) {\n      edges { cursor node { id roomId seq body sender { displayName } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').SearchMessagesDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
