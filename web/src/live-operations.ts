/** The live operations of the UI: the room's events, the viewer's own stream, and typing (see operations.ts for the rest). */
import { graphql } from './gql';

export const RoomEvents = graphql(`
  subscription RoomEvents($roomId: ID!, $afterSeq: Int) {
    roomEvents(roomId: $roomId, afterSeq: $afterSeq) {
      __typename
      ... on MessageAdded { message { ...ChatMessage } }
      ... on MessageChanged { message { ...ChatMessage } }
      ... on ReadMarkerMoved { user { id } lastReadSeq previousReadSeq }
      ... on TypingChanged { user { id displayName } typing }
    }
  }
`);

export const MyEvents = graphql(`
  subscription MyEvents {
    myEvents {
      __typename
      ... on RoomChanged { room { id name lastSeq unreadCount members { id username } } }
      ... on RoomRemoved { roomId }
      ... on FriendChanged { user { id username displayName online } friend }
      ... on PresenceChanged { user { id online } }
      ... on AccountNotice { kind message until }
    }
  }
`);

export const SetTyping = graphql(`
  mutation SetTyping($roomId: ID!, $typing: Boolean!) {
    setTyping(roomId: $roomId, typing: $typing)
  }
`);
