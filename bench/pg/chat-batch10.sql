-- Ten sendChats in one transaction, as the worker applies a chunk of a partition's commands.
\set r0 random(1, 1000)
\set r1 random(1, 1000)
\set r2 random(1, 1000)
\set r3 random(1, 1000)
\set r4 random(1, 1000)
\set r5 random(1, 1000)
\set r6 random(1, 1000)
\set r7 random(1, 1000)
\set r8 random(1, 1000)
\set r9 random(1, 1000)
begin;
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r0 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r0) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r0 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r1 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r1) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r1 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r2 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r2) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r2 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r3 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r3) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r3 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r4 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r4) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r4 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r5 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r5) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r5 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r6 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r6) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r6 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r7 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r7) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r7 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r8 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r8) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r8 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r9 limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r9) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r9 returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
commit;
