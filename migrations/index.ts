import { Migration20261122000000_initial } from './Migration20261122000000_initial';
import { Migration20261122100000_chat_api } from './Migration20261122100000_chat_api';
import { Migration20261201000000_processed_commands_text } from './Migration20261201000000_processed_commands_text';
import { Migration20261201100000_blocks } from './Migration20261201100000_blocks';
import { Migration20261202010000_last_seen } from './Migration20261202010000_last_seen';

/** Every migration in order; listed explicitly so compiled and ts-jest runs find the same set. */
export const MIGRATIONS = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261122100000_chat_api', class: Migration20261122100000_chat_api },
  { name: 'Migration20261201000000_processed_commands_text', class: Migration20261201000000_processed_commands_text },
  { name: 'Migration20261201100000_blocks', class: Migration20261201100000_blocks },
  { name: 'Migration20261202010000_last_seen', class: Migration20261202010000_last_seen },
];
