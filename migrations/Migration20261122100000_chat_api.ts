import { Migration } from '@mikro-orm/migrations';

/** Bookmarks, logout (revoked tokens), what SYSTEM messages record, and prefix search over users. */
export class Migration20261122100000_chat_api extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "bookmarks" (
      "user_id" uuid not null,
      "message_id" uuid not null,
      "created_at" timestamptz not null,
      primary key ("user_id", "message_id"),
      constraint "bookmarks_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade,
      constraint "bookmarks_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade
    );`);
    // `bookmarks` lists a user's bookmarks newest first.
    this.addSql(`create index "bookmarks_user_id_created_at_index" on "bookmarks" ("user_id", "created_at");`);
    this.addSql(`create table "revoked_tokens" (
      "token_id" uuid primary key,
      "user_id" uuid not null,
      "expires_at" timestamptz not null,
      constraint "revoked_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade
    );`);
    // Rows past their token's expiry can be swept: an expired token is refused anyway.
    this.addSql(`create index "revoked_tokens_expires_at_index" on "revoked_tokens" ("expires_at");`);
    this.addSql(`alter table "messages" add column "system" jsonb null;`);
    // searchUsers matches prefixes; pattern_ops make `like 'abc%'` use an index whatever the collation.
    this.addSql(`create index "users_username_prefix_index" on "users" ("username" varchar_pattern_ops);`);
    this.addSql(`create index "users_display_name_prefix_index" on "users" (lower("display_name") varchar_pattern_ops);`);
  }
}
