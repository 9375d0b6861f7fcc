/**
 * Every GraphQL operation the web UI sends. `npm run codegen` reads the
 * graphql() calls here and writes their result and variable types to ./gql.
 */
import { graphql } from './gql';

export const ChatMessageFields = graphql(`
  fragment ChatMessage on Message {
    id
    seq
    kind
    body
    createdAt
    sender { id username displayName }
    attachment { name contentType url size }
    roomId
    unreadBy
    ...MessageExtras
  }
`);

export const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { token user { id username displayName } }
  }
`);

export const LogIn = graphql(`
  mutation LogIn($username: String!, $password: String!) {
    login(username: $username, password: $password) { token user { id username displayName } }
  }
`);

export const Me = graphql(`
  query Me {
    me { id username displayName }
  }
`);

export const LogOut = graphql(`
  mutation LogOut {
    logout
  }
`);

export const SearchUsers = graphql(`
  query SearchUsers($query: String!) {
    searchUsers(query: $query, first: 10) { id username displayName }
  }
`);

export const AddFriend = graphql(`
  mutation AddFriend($userId: ID!) {
    addFriend(userId: $userId) { id }
  }
`);

// Pages, so that the sidebar, read at each (re)connect and kept up to date by myEvents, costs a bounded ~4,600 (each room's members are priced at 100).
export const Sidebar = graphql(`
  query Sidebar {
    friends(first: 100) { id username displayName online }
    rooms(first: 20) { id name lastSeq unreadCount members { id username } }
  }
`);

export const CreateRoom = graphql(`
  mutation CreateRoom($name: String, $memberIds: [ID!]!) {
    createRoom(name: $name, memberIds: $memberIds) { id name }
  }
`);

export const RoomHistory = graphql(`
  query RoomHistory($roomId: ID!, $last: Int!, $before: String) {
    messages(roomId: $roomId, last: $last, before: $before) {
      edges { node { ...ChatMessage } }
      pageInfo { hasPreviousPage startCursor }
    }
  }
`);

export const SendChat = graphql(`
  mutation SendChat($input: SendChatInput!) {
    sendChat(input: $input) { id seq }
  }
`);

export const MarkRead = graphql(`
  mutation MarkRead($roomId: ID!, $seq: Int!) {
    markRead(roomId: $roomId, seq: $seq) { id unreadCount }
  }
`);

export const RoomMessages = graphql(`
  subscription RoomMessages($roomId: ID!, $afterSeq: Int) {
    roomMessages(roomId: $roomId, afterSeq: $afterSeq) { ...ChatMessage }
  }
`);
