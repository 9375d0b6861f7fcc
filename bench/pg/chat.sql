-- One sendChat as the worker applies it: the room and membership (row lock), the sender, the message with the next seq, the processed command.
\set r random(1, 1000)
begin;
select r.id, r.last_seq, m.user_id from rooms r join room_members m on m.room_id = r.id where r.n = :r limit 1 for update of r;
select id, username, display_name, status_message, created_at from users where id = (select user_id from room_members where room_id = (select id from rooms where n = :r) limit 1);
with room as (update rooms set last_seq = last_seq + 1, last_activity_at = now() where n = :r returning id, last_seq)
insert into messages (id, room_id, seq, kind, body, sender_id, client_message_id, created_at)
select gen_random_uuid(), room.id, room.last_seq, 'TEXT', 'a chat message of some forty characters.', null, md5(random()::text), now() from room;
insert into processed_commands (id, reply, events, processed_at) values (gen_random_uuid()::text, '{"v":1,"ok":true,"result":{}}', '[]', now());
commit;
