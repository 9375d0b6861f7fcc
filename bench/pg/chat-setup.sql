-- The tables a chat writes, as the migrations make them (keys and indexes), with 1,000 rooms of 10 members.
drop table if exists processed_commands, messages, room_members, rooms, users;
create table users (id uuid primary key, username varchar(32) not null unique, display_name varchar(64) not null default '', status_message varchar(140) not null default '', created_at timestamptz not null default now());
create table rooms (n int not null unique, id uuid primary key, name varchar(100), created_at timestamptz not null default now(), last_seq int not null default 0, last_activity_at timestamptz not null default now());
create table room_members (room_id uuid not null references rooms(id) on delete cascade, user_id uuid not null references users(id) on delete cascade, last_read_seq int not null default 0, joined_at timestamptz not null default now(), primary key (room_id, user_id));
create index on room_members (user_id);
create table messages (id uuid not null, room_id uuid not null references rooms(id) on delete cascade, seq int not null, kind varchar(16) not null, body text not null, sender_id uuid references users(id) on delete set null, attachment jsonb, client_message_id varchar(64), system jsonb, created_at timestamptz not null,
  primary key (room_id, id), unique (id), unique (room_id, seq), unique (room_id, client_message_id));
create table processed_commands (id varchar(64) primary key, reply text not null, events text not null, processed_at timestamptz not null);
create index on processed_commands (processed_at);
insert into users (id, username) select gen_random_uuid(), 'u' || g from generate_series(1, 10000) g;
insert into rooms (n, id) select g, gen_random_uuid() from generate_series(1, 1000) g;
insert into room_members (room_id, user_id) select r.id, u.id from rooms r join lateral (select id from users order by random() limit 10) u on true;
analyze;
