-- Spend limits (issue 14): what a race-free budget per user needs. Schema only; the rules live in
-- infra/sql/functions/spend.sql.

-- A user's own limit, both columns or neither; without one the server default applies
-- (SPEND_LIMIT_MICROS, SPEND_LIMIT_PERIOD).
alter table users
  add column spend_limit_micros bigint check (spend_limit_micros >= 0),
  add column spend_limit_period text check (spend_limit_period in ('day', 'month')),
  add constraint users_spend_limit_whole check ((spend_limit_micros is null) = (spend_limit_period is null));

-- What each user spent per calendar UTC day: the settled cost of every priced reply and step,
-- added in the transaction that stores it. A month's spend sums at most 31 rows.
create table spend_days (
  user_id uuid not null references users (id) on delete cascade,
  day date not null,
  spent_micros bigint not null default 0,
  primary key (user_id, day)
);

-- A reservation is the worst-case cost of the model call a turn (or a queued message, once it runs)
-- is about to make, held by `reserved_by` (the chat's owner) until the call's actual cost replaces
-- it. Only live turns hold theirs: a turn that ends any other way releases it by leaving the index.
-- The predicate repeats chatq_turn_is_live's list, as turns_one_live_per_chat_idx does.
alter table turns
  add column reserved_micros bigint not null default 0,
  add column reserved_by uuid;
create index turns_reserved_idx on turns (reserved_by)
  where reserved_micros > 0 and status in ('queued', 'running', 'requires_action', 'awaiting_approval');

-- A queued message reserves when it is sent; its turn takes the reservation over when it starts.
alter table queued_messages
  add column reserved_micros bigint not null default 0,
  add column reserved_by uuid;
create index queued_messages_reserved_idx on queued_messages (reserved_by) where reserved_micros > 0;
