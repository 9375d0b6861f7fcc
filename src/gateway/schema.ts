import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from './resolvers/account';
import { FriendResolver } from './resolvers/friends';
import { MessageResolver } from './resolvers/messages';
import { MessageChangeResolver } from './resolvers/message-changes';
import { ModerationResolver } from './resolvers/moderation';
import { RoomResolver } from './resolvers/rooms';
import { AttachmentResolver, UploadResolver } from './resolvers/uploads';
import { LiveResolver, PresenceResolver } from './resolvers/live';

/**
 * type-graphql insists on a pubSub as soon as a schema has a subscription, even
 * when every subscription brings its own `subscribe` (ours stream from
 * EventRouter.openRoom, which needs the viewer and the database). This one is never called.
 */
const NO_TOPIC_PUBSUB = {
  publish(): never {
    throw new Error('topic-based subscriptions are not used; see EventRouter.openRoom');
  },
  subscribe(): never {
    throw new Error('topic-based subscriptions are not used; see EventRouter.openRoom');
  },
};

export function buildChatSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      AccountResolver,
      FriendResolver,
      RoomResolver,
      MessageResolver,
      MessageChangeResolver,
      ModerationResolver,
      UploadResolver,
      AttachmentResolver,
      LiveResolver,
      PresenceResolver,
    ],
    pubSub: NO_TOPIC_PUBSUB,
    validate: false,
    emitSchemaFile: false,
  });
}
