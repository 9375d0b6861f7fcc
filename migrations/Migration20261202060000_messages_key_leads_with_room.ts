import { Migration } from '@mikro-orm/migrations';

/** The foreign keys that reference messages(id): dropped while the key changes, then made again on the unique id. */
const REFERENCES_TO_MESSAGES: Array<[table: string, column: string, constraint: string, onDelete: string]> = [
  ['bookmarks', 'message_id', 'bookmarks_message_id_foreign', 'cascade'],
  ['messages', 'reply_to_id', 'messages_reply_to_id_foreign', 'set null'],
  ['message_reactions', 'message_id', 'message_reactions_message_id_foreign', 'cascade'],
  ['message_reports', 'message_id', 'message_reports_message_id_foreign', 'cascade'],
  ['uploads', 'message_id', 'uploads_message_id_foreign', 'cascade'],
];

/**
 * The primary key of messages leads with room_id, as a distributed PostgreSQL
 * (Citus, distributed by room_id) needs of every unique constraint of a
 * room-scoped table (docs/scaling.md). A unique index on id alone stays for
 * the foreign keys that name a message by id (bookmarks, replies, reactions,
 * reports, uploads) until they carry the room id too (the step of the move to
 * Citus, where neither can stay).
 */
export class Migration20261202060000_messages_key_leads_with_room extends Migration {
  override async up(): Promise<void> {
    this.dropReferences();
    this.addSql(`alter table "messages" drop constraint "messages_pkey";`);
    this.addSql(`alter table "messages" add constraint "messages_pkey" primary key ("room_id", "id");`);
    this.addSql(`alter table "messages" add constraint "messages_id_unique" unique ("id");`);
    this.addReferences();
  }

  override async down(): Promise<void> {
    this.dropReferences();
    this.addSql(`alter table "messages" drop constraint "messages_id_unique";`);
    this.addSql(`alter table "messages" drop constraint "messages_pkey";`);
    this.addSql(`alter table "messages" add constraint "messages_pkey" primary key ("id");`);
    this.addReferences();
  }

  private dropReferences(): void {
    for (const [table, , constraint] of REFERENCES_TO_MESSAGES) {
      this.addSql(`alter table "${table}" drop constraint "${constraint}";`);
    }
  }

  private addReferences(): void {
    for (const [table, column, constraint, onDelete] of REFERENCES_TO_MESSAGES) {
      this.addSql(
        `alter table "${table}" add constraint "${constraint}" foreign key ("${column}") references "messages" ("id") on update cascade on delete ${onDelete};`,
      );
    }
  }
}
