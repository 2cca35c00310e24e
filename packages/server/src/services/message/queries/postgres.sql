-- The message store's hot-path SQL on postgres, as its store compiles it
-- (packages/server/src/services/message/store/). Generated: run `npm run sql:snapshot`
-- after changing a query, and commit the result; do not edit.

-- membership
select "m".*, "c"."type", "c"."name", "c"."muted_all", "c"."last_seq", "c"."last_message_at" from "msg_members" as "m" inner join "msg_conversations" as "c" on "c"."id" = "m"."conv_id" where "m"."conv_id" = $1 and "m"."user_id" = $2;

-- activeMemberIds
select "user_id" from "msg_members" where "conv_id" = $1 and "left_seq" is null;

-- userState
select * from "msg_user_state" where "user_id" = $1;

-- messageByClientId
select * from "msg_messages" where "sender_id" = $1 and "client_msg_id" = $2;

-- bumpSeq
update "msg_conversations" set "last_seq" = last_seq + $1, "last_message_at" = $2 where "id" = $3 returning "last_seq";

-- insert messages (one statement per n rows; n = 2)
insert into "msg_messages" ("conv_id", "seq", "id", "sender_id", "client_msg_id", "type", "content", "reply_to_seq", "mentions", "mention_all", "created_at", "recalled_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12), ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24);

-- sendContext (the lookups of one turn; 2 members)
select "m".*, "c"."type", "c"."name", "c"."muted_all", "c"."last_seq", "c"."last_message_at", "p"."user_id" as "peer_id", "p"."left_seq" as "peer_left_seq", "s"."hide_read_receipts" as "hides" from "msg_members" as "m" inner join "msg_conversations" as "c" on "c"."id" = "m"."conv_id" left join "msg_members" as "p" on "p"."conv_id" = case when "c"."type" = $1 then "m"."conv_id" end and "p"."user_id" <> "m"."user_id" left join "msg_user_state" as "s" on "s"."user_id" = "m"."user_id" where (("m"."conv_id" = $2 and "m"."user_id" = $3) or ("m"."conv_id" = $4 and "m"."user_id" = $5));

-- reserveSeqsMany (2 conversations)
update msg_conversations c
  set last_seq = c.last_seq + v.n, last_message_at = cast($1 as bigint)
  from (select id from msg_conversations where id in (cast($2 as bigint), cast($3 as bigint)) order by id for update) l,
  (values (cast($4 as bigint), cast($5 as bigint)), (cast($6 as bigint), cast($7 as bigint))) as v(id, n)
  where c.id = l.id and v.id = l.id
  returning c.id, c.last_seq;

-- advance cursors (2 members)
update msg_members m
  set read_seq = greatest(l.read_seq, v.rd),
  delivered_seq = greatest(l.delivered_seq, v.dl, l.read_seq, v.rd)
  from (select conv_id, user_id, read_seq, delivered_seq from msg_members where (conv_id = cast($1 as bigint) and user_id = cast($2 as bigint)) or (conv_id = cast($3 as bigint) and user_id = cast($4 as bigint))
  order by conv_id, user_id for update) l,
  (values (cast($5 as bigint), cast($6 as bigint), cast($7 as bigint), cast($8 as bigint)), (cast($9 as bigint), cast($10 as bigint), cast($11 as bigint), cast($12 as bigint))) as v(conv_id, user_id, rd, dl)
  where m.conv_id = l.conv_id and m.user_id = l.user_id
  and v.conv_id = l.conv_id and v.user_id = l.user_id
  and (v.rd > l.read_seq or greatest(v.dl, v.rd, l.read_seq) > l.delivered_seq)
  returning m.conv_id, m.user_id, l.delivered_seq as before, m.delivered_seq;
