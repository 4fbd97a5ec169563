-- Spend limits (issue 14). A user's budget per calendar UTC day or month is checked exactly: every
-- reservation is made under a lock of the user's row (`for no key update`, which leaves the foreign
-- key checks of new chats and tokens alone), taken after the chat lock, so concurrent sends, edits
-- and agent steps of one user reserve one after the other. Lock order: chat, then user; nothing
-- locks a user row and then a chat. Settling (a step's actual cost replacing its reservation) takes
-- no user lock: it lowers the turn's reservation and adds to spend_days in one commit, and the
-- check reads both in one statement, so it sees either both changes or neither.
--
-- The fast path: a call on an unpriced model costs one primary-key read of the model config; a
-- priced call of a user without any limit one more read of the user's row; neither locks anything.

-- The limit that applies to `p_user`: their own, else the server default (`p_default_micros`, null
-- for none, per `p_default_period`). amount null: no limit. No locks.
create or replace function chatq_spend_limit_of(
  p_user uuid, p_default_micros bigint, p_default_period text, out amount bigint, out period text)
language sql stable as $$
  select coalesce(u.spend_limit_micros, p_default_micros),
         case when u.spend_limit_micros is null then p_default_period else u.spend_limit_period end
  from users u where u.id = p_user
$$;

-- Where the calendar UTC period (`day` or `month`) holding `p_at` starts.
create or replace function chatq_spend_period_start(p_period text, p_at timestamptz default now()) returns timestamptz
language sql stable as $$
  select date_trunc(p_period, p_at, 'UTC')
$$;

-- {spent_micros, reserved_micros} of `p_user`: spent in the current `p_period`, and held by live
-- turns and queued messages, leaving out the live turn of `p_except_chat` (a change that will
-- supersede or cancel it). One statement, so one snapshot: a settlement is seen whole or not at all.
create or replace function chatq_spend_totals(p_user uuid, p_period text, p_except_chat uuid default null)
returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'spent_micros', (
      select coalesce(sum(d.spent_micros), 0) from spend_days d
      where d.user_id = p_user and d.day >= (chatq_spend_period_start(p_period) at time zone 'UTC')::date),
    'reserved_micros', (
      select coalesce(sum(t.reserved_micros), 0) from turns t
      where t.reserved_by = p_user and t.reserved_micros > 0
        and t.status in ('queued', 'running', 'requires_action', 'awaiting_approval')
        and t.chat_id is distinct from p_except_chat)
      + (select coalesce(sum(q.reserved_micros), 0) from queued_messages q
         where q.reserved_by = p_user and q.reserved_micros > 0))
$$;

-- The worst-case cost in microdollars of one call of model `p_model` on chat `p_chat` (null: a new
-- chat) with `p_text` added (the new message and the chat's system prompt): the history's estimated
-- input tokens (its live messages before `p_before_seq`, the newest 2,000 at most, as the claim
-- reads them; no more than the model's context leaves for input) at the input price, plus
-- max_output_tokens (4,096 when unset) at the output price. 0 for an unpriced model. No locks.
create or replace function chatq_spend_estimate(p_model model_configs, p_chat uuid, p_before_seq bigint, p_text text)
returns bigint
language plpgsql stable as $$
declare
  v_in bigint;
begin
  if p_model.input_price_per_mtok is null and p_model.output_price_per_mtok is null then
    return 0;
  end if;
  v_in := chatq_approx_tokens(coalesce(p_text, '')) + 4 + chatq_approx_tokens(coalesce(p_model.system_prompt, ''));
  if p_chat is not null then
    v_in := v_in + coalesce((
      select sum(chatq_approx_tokens(coalesce(m.parts::text, m.content)) + 4)
      from (select parts, content from messages
            where chat_id = p_chat and deleted_at is null and seq < coalesce(p_before_seq, 9223372036854775807)
            order by seq desc
            limit 2000) m), 0);
  end if;
  if p_model.context_limit is not null then
    v_in := least(v_in, greatest(p_model.context_limit - coalesce(p_model.max_output_tokens, 0), 1));
  end if;
  return ceil(v_in * coalesce(p_model.input_price_per_mtok, 0)
              + coalesce(p_model.max_output_tokens, 4096) * coalesce(p_model.output_price_per_mtok, 0))::bigint;
end
$$;

-- Reserves the worst-case cost of a call (chatq_spend_estimate's arguments) for `p_owner`: returns
-- the amount to hold (0 when the model is unpriced or the user has no limit: nothing is held), or
-- null when spent + reserved + this exceeds the limit (the caller refuses, or ends the turn). With
-- `p_replaces_live`, the live turn of `p_chat` is about to be superseded or cancelled and its
-- reservation is not counted. The caller stores the amount on the turn or queued message it writes,
-- in the same transaction; it holds the chat lock, if any, and this locks the user's row.
create or replace function chatq_reserve_spend(
  p_owner uuid, p_model uuid, p_chat uuid, p_before_seq bigint, p_text text, p_replaces_live boolean,
  p_default_micros bigint, p_default_period text)
returns bigint
language plpgsql as $$
declare
  v_model model_configs;
  v_limit record;
  v_need bigint;
  v_totals jsonb;
begin
  select * into v_model from model_configs where id = p_model;
  if v_model.input_price_per_mtok is null and v_model.output_price_per_mtok is null then
    return 0;
  end if;
  v_limit := chatq_spend_limit_of(p_owner, p_default_micros, p_default_period);
  if v_limit.amount is null then
    return 0;
  end if;
  -- Read again under the lock: a limit an admin changed meanwhile applies from its commit on.
  perform 1 from users where id = p_owner for no key update;
  v_limit := chatq_spend_limit_of(p_owner, p_default_micros, p_default_period);
  if v_limit.amount is null then
    return 0;
  end if;
  v_need := chatq_spend_estimate(v_model, p_chat, p_before_seq, p_text);
  v_totals := chatq_spend_totals(p_owner, v_limit.period, case when p_replaces_live then p_chat end);
  if (v_totals ->> 'spent_micros')::bigint + (v_totals ->> 'reserved_micros')::bigint + v_need > v_limit.amount then
    return null;
  end if;
  return v_need;
end
$$;

-- Adds the settled cost `p_cost_micros` of a reply or step of chat `p_chat` to its owner's spend
-- today (UTC). Nothing for an unpriced (null) or free one. The caller holds the chat lock and
-- zeroes the turn's reservation in the same transaction.
create or replace function chatq_record_spend(p_chat uuid, p_cost_micros bigint) returns void
language plpgsql as $$
begin
  if coalesce(p_cost_micros, 0) <= 0 then
    return;
  end if;
  insert into spend_days (user_id, day, spent_micros)
  select owner_id, (now() at time zone 'UTC')::date, p_cost_micros from chats where id = p_chat
  on conflict (user_id, day) do update set spent_micros = spend_days.spent_micros + excluded.spent_micros;
end
$$;

-- Before each model call of a turn (the agent loop's steps): the turn's reservation, if it still
-- holds the one made for this call (by the send, edit or queued message that started it, or by an
-- earlier attempt at this step), else a new one (a turn promoted without one, resumed after tool
-- outputs or approvals, or at its next step). Returns {outcome: reserved}; when the call does not
-- fit, ends the turn with finish_reason spend_limit, keeping what it produced: completed when it
-- made a call before ({outcome: completed, message: null, chat, next?}), else failed
-- ({outcome: failed, ...}, error "Spend limit reached."). Else stale or superseded. Called by
-- workers; locks the turn's chat row first, then the owner's row when the owner has a limit.
create or replace function chatq_reserve_step(
  p_turn uuid, p_claim uuid, p_default_micros bigint, p_default_period text)
returns jsonb
language plpgsql as $$
declare
  v_fence jsonb;
  v_turn turns;
  v_chat chats;
  v_need bigint;
begin
  v_fence := chatq_check_claim(p_turn, p_claim);
  if v_fence is not null then return v_fence; end if;
  select * into v_turn from turns where id = p_turn;
  if v_turn.reserved_micros > 0 then
    return jsonb_build_object('outcome', 'reserved');
  end if;
  select * into v_chat from chats where id = v_turn.chat_id;
  v_need := chatq_reserve_spend(v_chat.owner_id, v_turn.model_config_id, v_chat.id, null,
                                v_chat.system_prompt, false, p_default_micros, p_default_period);
  if v_need is not null then
    if v_need > 0 then
      update turns set reserved_micros = v_need, reserved_by = v_chat.owner_id where id = p_turn;
    end if;
    return jsonb_build_object('outcome', 'reserved');
  end if;
  if v_turn.steps > 0 then
    update turns set status = 'completed', finished_at = now(), finish_reason = 'spend_limit' where id = p_turn;
    return chatq_after_turn(v_chat.id, 'idle', null)
      || jsonb_build_object('outcome', 'completed', 'message', null);
  end if;
  update turns set finish_reason = 'spend_limit' where id = p_turn;
  return chatq_fail_live_turn(p_turn, v_chat.id, 'Spend limit reached.') || jsonb_build_object('outcome', 'failed');
end
$$;

-- GET /users/{id}/limits: {spend_limit: {amount_micros, period} | null, spent_micros,
-- reserved_micros, resets_at}, for the limit that applies (the user's, else the default); without
-- any, spent counts over `p_default_period`. Null when the user does not exist. No locks.
create or replace function chatq_spend_limits(p_user uuid, p_default_micros bigint, p_default_period text)
returns jsonb
language plpgsql stable as $$
declare
  v_limit record;
  v_period text;
begin
  if not exists (select 1 from users where id = p_user) then
    return null;
  end if;
  v_limit := chatq_spend_limit_of(p_user, p_default_micros, p_default_period);
  v_period := coalesce(v_limit.period, p_default_period);
  return jsonb_build_object(
    'spend_limit', case when v_limit.amount is null then null
                   else jsonb_build_object('amount_micros', v_limit.amount, 'period', v_limit.period) end,
    'resets_at', ((chatq_spend_period_start(v_period) at time zone 'UTC') + ('1 ' || v_period)::interval) at time zone 'UTC')
    || chatq_spend_totals(p_user, v_period);
end
$$;
