import { Migration } from '@mikro-orm/migrations';

/**
 * processed_commands keeps the reply and events as the exact values produced
 * to Kafka (text), so the worker serializes each once and PostgreSQL does not
 * parse them into jsonb. The rows are swept after the command's lifetime.
 */
export class Migration20261201000000_processed_commands_text extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "processed_commands"
      alter column "reply" type text using "reply"::text,
      alter column "events" type text using "events"::text;`);
  }
}
