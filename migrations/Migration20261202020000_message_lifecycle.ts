import { Migration } from '@mikro-orm/migrations';

/**
 * Messages that live on: replies, edits, tombstones, reactions and full-text
 * search. `search_vector` is generated from the body, so an edit re-indexes
 * the new words only and a deletion (empty body) leaves nothing to find.
 * The text search configuration is 'english' (stemming, stop words); a
 * deployment adds a language with a migration of its own (see README).
 */
export class Migration20261202020000_message_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "messages"
      add column "reply_to_id" uuid null,
      add column "version" int not null default 1,
      add column "edited_at" timestamptz null,
      add column "deleted" boolean not null default false,
      add column "search_vector" tsvector generated always as (to_tsvector('english', "body")) stored,
      add constraint "messages_reply_to_id_foreign" foreign key ("reply_to_id") references "messages" ("id") on update cascade on delete set null;`);
    this.addSql(`create index "messages_search_vector_index" on "messages" using gin ("search_vector");`);
    this.addSql(`create table "message_reactions" (
      "message_id" uuid not null,
      "emoji" varchar(64) not null,
      "user_id" uuid not null,
      "created_at" timestamptz not null,
      primary key ("message_id", "emoji", "user_id"),
      constraint "message_reactions_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade,
      constraint "message_reactions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade
    );`);
  }
}
