import { Migration } from '@mikro-orm/migrations';

/**
 * The primary key of messages leads with room_id, as a distributed PostgreSQL
 * (Citus, distributed by room_id) needs of every unique constraint of a
 * room-scoped table (docs/scaling.md). Every other room-scoped key and unique
 * index already does. A unique index on id alone stays for the foreign key of
 * bookmarks until bookmarks carry the room id too (the step of the move to
 * Citus, where neither can stay).
 */
export class Migration20261202060000_messages_key_leads_with_room extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "bookmarks" drop constraint "bookmarks_message_id_foreign";`);
    this.addSql(`alter table "messages" drop constraint "messages_pkey";`);
    this.addSql(`alter table "messages" add constraint "messages_pkey" primary key ("room_id", "id");`);
    this.addSql(`alter table "messages" add constraint "messages_id_unique" unique ("id");`);
    this.addSql(
      `alter table "bookmarks" add constraint "bookmarks_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "bookmarks" drop constraint "bookmarks_message_id_foreign";`);
    this.addSql(`alter table "messages" drop constraint "messages_id_unique";`);
    this.addSql(`alter table "messages" drop constraint "messages_pkey";`);
    this.addSql(`alter table "messages" add constraint "messages_pkey" primary key ("id");`);
    this.addSql(
      `alter table "bookmarks" add constraint "bookmarks_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade;`,
    );
  }
}
