import { Migration } from '@mikro-orm/migrations';

/** blockUser: one row per block, from the blocker (see the Block entity). */
export class Migration20261201100000_blocks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "blocks" (
      "user_id" uuid not null,
      "blocked_id" uuid not null,
      "created_at" timestamptz not null,
      primary key ("user_id", "blocked_id"),
      constraint "blocks_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade,
      constraint "blocks_blocked_id_foreign" foreign key ("blocked_id") references "users" ("id") on update cascade on delete cascade
    );`);
    // blockedUsers lists a user's blocks, the most recent first.
    this.addSql(`create index "blocks_user_id_created_at_index" on "blocks" ("user_id", "created_at");`);
  }
}
