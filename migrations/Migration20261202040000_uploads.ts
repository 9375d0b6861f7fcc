import { Migration } from '@mikro-orm/migrations';

/**
 * Files uploaded to the service (createUpload): one row per upload, and its
 * bytes in rows of at most 256 KiB (the PostgreSQL file store, src/store/uploads.ts).
 * Removing an upload removes its bytes (on delete cascade).
 */
export class Migration20261202040000_uploads extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "uploads" (
      "id" uuid primary key,
      "owner_id" uuid null,
      "name" varchar(255) not null,
      "content_type" varchar(255) not null,
      "size" bigint not null,
      "complete" boolean not null default false,
      "created_at" timestamptz not null,
      "room_id" uuid null,
      "message_id" uuid null,
      constraint "uploads_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete set null,
      constraint "uploads_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade,
      constraint "uploads_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade
    );`);
    // A message's file is found by the message (deleteMessage); a user's unsent ones by the owner (deleteAccount).
    this.addSql(`create index "uploads_message_id_index" on "uploads" ("message_id");`);
    this.addSql(`create index "uploads_owner_id_index" on "uploads" ("owner_id");`);
    // The sweep looks for uploads never sent, oldest first.
    this.addSql(`create index "uploads_created_at_index" on "uploads" ("created_at");`);
    this.addSql(`create table "upload_chunks" (
      "upload_id" uuid not null,
      "n" int not null,
      "data" bytea not null,
      primary key ("upload_id", "n"),
      constraint "upload_chunks_upload_id_foreign" foreign key ("upload_id") references "uploads" ("id") on update cascade on delete cascade
    );`);
  }
}
