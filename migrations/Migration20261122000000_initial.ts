import { Migration } from '@mikro-orm/migrations';

/** Constraint names and rules follow MikroORM's conventions, so the entities and this schema agree (a test checks). */
export class Migration20261122000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "users" (
      "id" uuid primary key,
      "username" varchar(32) not null,
      "password_hash" varchar(255) not null,
      "display_name" varchar(64) not null,
      "email" varchar(254) null,
      "status_message" varchar(140) not null default '',
      "created_at" timestamptz not null,
      "last_login_at" timestamptz null,
      "last_logout_at" timestamptz null,
      constraint "users_username_unique" unique ("username")
    );`);
    this.addSql(`create table "friendships" (
      "user_id" uuid not null,
      "friend_id" uuid not null,
      "created_at" timestamptz not null,
      primary key ("user_id", "friend_id"),
      constraint "friendships_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade,
      constraint "friendships_friend_id_foreign" foreign key ("friend_id") references "users" ("id") on update cascade on delete cascade
    );`);
    this.addSql(`create table "rooms" (
      "id" uuid primary key,
      "name" varchar(100) not null,
      "created_at" timestamptz not null,
      "last_seq" int not null default 0,
      "last_activity_at" timestamptz not null
    );`);
    this.addSql(`create table "room_members" (
      "room_id" uuid not null,
      "user_id" uuid not null,
      "last_read_seq" int not null default 0,
      "joined_at" timestamptz not null,
      primary key ("room_id", "user_id"),
      constraint "room_members_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade,
      constraint "room_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade
    );`);
    // A member's rooms are looked up by user.
    this.addSql(`create index "room_members_user_id_index" on "room_members" ("user_id");`);
    this.addSql(`create table "messages" (
      "id" uuid primary key,
      "room_id" uuid not null,
      "seq" int not null,
      "kind" varchar(16) not null,
      "body" text not null,
      "sender_id" uuid null,
      "attachment" jsonb null,
      "client_message_id" varchar(64) null,
      "created_at" timestamptz not null,
      constraint "messages_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade,
      constraint "messages_sender_id_foreign" foreign key ("sender_id") references "users" ("id") on update cascade on delete set null,
      -- The guard of gap-free, repeat-free numbering; also serves history pages by seq.
      constraint "messages_room_id_seq_unique" unique ("room_id", "seq"),
      constraint "messages_room_id_client_message_id_unique" unique ("room_id", "client_message_id")
    );`);
    this.addSql(`create table "processed_commands" (
      "id" varchar(64) primary key,
      "reply" jsonb not null,
      "events" jsonb not null,
      "processed_at" timestamptz not null
    );`);
    this.addSql(`create index "processed_commands_processed_at_index" on "processed_commands" ("processed_at");`);
  }
}
