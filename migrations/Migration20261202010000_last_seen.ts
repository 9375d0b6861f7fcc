import { Migration } from '@mikro-orm/migrations';

/** Presence: when a user's last connection closed (User.lastSeenAt), durable. */
export class Migration20261202010000_last_seen extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "users" add column "last_seen_at" timestamptz null;');
  }
}
