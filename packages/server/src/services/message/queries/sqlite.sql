-- The message store's hot-path SQL on sqlite, as its store compiles it
-- (packages/server/src/services/message/store/). Generated: run `npm run sql:snapshot`
-- after changing a query, and commit the result; do not edit.

-- membership
select "m".*, "c"."type", "c"."name", "c"."muted_all", "c"."last_seq", "c"."last_message_at" from "msg_members" as "m" inner join "msg_conversations" as "c" on "c"."id" = "m"."conv_id" where "m"."conv_id" = ? and "m"."user_id" = ?;

-- activeMemberIds
select "user_id" from "msg_members" where "conv_id" = ? and "left_seq" is null;

-- userState
select * from "msg_user_state" where "user_id" = ?;

-- messageByClientId
select * from "msg_messages" where "sender_id" = ? and "client_msg_id" = ?;

-- bumpSeq
update "msg_conversations" set "last_seq" = last_seq + ?, "last_message_at" = ? where "id" = ? returning "last_seq";

-- sendContext
select "m".*, "c"."type", "c"."name", "c"."muted_all", "c"."last_seq", "c"."last_message_at", "p"."user_id" as "peer_id", "p"."left_seq" as "peer_left_seq", "s"."hide_read_receipts" as "hides" from "msg_members" as "m" inner join "msg_conversations" as "c" on "c"."id" = "m"."conv_id" left join "msg_members" as "p" on "p"."conv_id" = case when "c"."type" = ? then "m"."conv_id" end and "p"."user_id" <> "m"."user_id" left join "msg_user_state" as "s" on "s"."user_id" = "m"."user_id" where "m"."conv_id" = ? and "m"."user_id" = ?;

-- advanceDelivered
update "msg_members" set "delivered_seq" = ? where "conv_id" = ? and "user_id" = ? and "delivered_seq" < ?;

-- advanceRead
update "msg_members" set "read_seq" = case when read_seq < ? then ? else read_seq end, "delivered_seq" = case when delivered_seq < ? then ? else delivered_seq end where "conv_id" = ? and "user_id" = ? and ("read_seq" < ? or "delivered_seq" < ?);

-- insert messages (one statement per n rows; n = 2)
insert into "msg_messages" ("conv_id", "seq", "id", "sender_id", "client_msg_id", "type", "content", "reply_to_seq", "mentions", "mention_all", "created_at", "recalled_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
