import { Migration } from '@mikro-orm/migrations';

/** Moderation (issue 17): mutes on users, the decisions behind them, and members' reports of messages. */
export class Migration20261202030000_moderation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "muted_until" timestamptz null;`);
    // No foreign key to users: a decision is the record of why, and names a user by id only.
    this.addSql(`create table "moderation_decisions" (
      "id" uuid primary key,
      "user_id" uuid not null,
      "rule" varchar(32) not null,
      "evidence" jsonb not null,
      "evidence_at" timestamptz not null,
      "muted_until" timestamptz not null,
      "created_at" timestamptz not null,
      "ended_at" timestamptz null
    );`);
    this.addSql(`create index "moderation_decisions_user_id_created_at_index" on "moderation_decisions" ("user_id", "created_at");`);
    // The moderator looks for mutes that are over and not yet announced as such.
    this.addSql(
      `create index "moderation_decisions_open_index" on "moderation_decisions" ("muted_until") where "ended_at" is null;`,
    );
    this.addSql(`create table "message_reports" (
      "message_id" uuid not null,
      "reporter_id" uuid not null,
      "reason" varchar(200) not null,
      "created_at" timestamptz not null,
      primary key ("message_id", "reporter_id"),
      constraint "message_reports_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade,
      constraint "message_reports_reporter_id_foreign" foreign key ("reporter_id") references "users" ("id") on update cascade on delete cascade
    );`);
    this.addSql(`create index "message_reports_created_at_index" on "message_reports" ("created_at");`);
  }
}
