import { Migration20261122000000_initial } from './Migration20261122000000_initial';
import { Migration20261122100000_chat_api } from './Migration20261122100000_chat_api';
import { Migration20261201000000_processed_commands_text } from './Migration20261201000000_processed_commands_text';
import { Migration20261201100000_blocks } from './Migration20261201100000_blocks';
import { Migration20261202010000_last_seen } from './Migration20261202010000_last_seen';
import { Migration20261202020000_message_lifecycle } from './Migration20261202020000_message_lifecycle';
import { Migration20261202030000_moderation } from './Migration20261202030000_moderation';
import { Migration20261202040000_uploads } from './Migration20261202040000_uploads';
import { Migration20261202060000_messages_key_leads_with_room } from './Migration20261202060000_messages_key_leads_with_room';
import { Migration20261207000000_search_index_without_pending_list } from './Migration20261207000000_search_index_without_pending_list';
import { Migration20261207100000_messages_room_for_reaction_updates } from './Migration20261207100000_messages_room_for_reaction_updates';

/** Every migration in order; listed explicitly so compiled and ts-jest runs find the same set. */
export const MIGRATIONS = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261122100000_chat_api', class: Migration20261122100000_chat_api },
  { name: 'Migration20261201000000_processed_commands_text', class: Migration20261201000000_processed_commands_text },
  { name: 'Migration20261201100000_blocks', class: Migration20261201100000_blocks },
  { name: 'Migration20261202010000_last_seen', class: Migration20261202010000_last_seen },
  { name: 'Migration20261202020000_message_lifecycle', class: Migration20261202020000_message_lifecycle },
  { name: 'Migration20261202030000_moderation', class: Migration20261202030000_moderation },
  { name: 'Migration20261202040000_uploads', class: Migration20261202040000_uploads },
  { name: 'Migration20261202060000_messages_key_leads_with_room', class: Migration20261202060000_messages_key_leads_with_room },
  { name: 'Migration20261207000000_search_index_without_pending_list', class: Migration20261207000000_search_index_without_pending_list },
  { name: 'Migration20261207100000_messages_room_for_reaction_updates', class: Migration20261207100000_messages_room_for_reaction_updates },
];
