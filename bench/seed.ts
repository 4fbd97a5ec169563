// The data set of the "flat with data" measure (bench/run.ts): many users' chats, each with a
// history of finished turns, written straight into the bench database in a few INSERT ... SELECT
// statements over generate_series: through the API they would take far longer than the measure.
import type { Sql } from '@chatq/platform';

/** How much to seed. */
export interface SeedShape {
  /** Members the chats are spread over (besides the reader). */
  users: number;
  chats: number;
  /** Completed turns per chat: a user message and its assistant reply each. */
  turnsPerChat: number;
  /** Chats owned by the reader, the user whose chat list is measured. */
  readerChats: number;
}

/** Names the seeded users carry; the reader is `${SEEDED}reader`. */
const SEEDED = 'bench-seed-';

/**
 * Adds `shape.users` members plus a reader, and `shape.chats` idle chats: about `readerChats` of
 * them the reader's, the rest spread evenly over the members. Each chat holds `turnsPerChat`
 * completed turns, each with its user message and its assistant reply (usage included), as chatq
 * would have left them; messages go in turn-major order, so a chat's rows lie apart on disk as
 * they would after months of use rather than side by side. One transaction (its temporary tables
 * live on its connection), then ANALYZE, as autovacuum soon would, so that plans see the tables'
 * real size. Returns the reader's user id.
 */
export async function seedChats(sql: Sql, model: string, shape: SeedShape): Promise<string> {
  const reader = await sql.begin(async (tx) => {
    const [row] = await tx<{ id: string }[]>`
      insert into users (username, role) values (${`${SEEDED}reader`}, 'member') returning id`;
    await tx`
      insert into users (username, role)
      select ${SEEDED} || g, 'member' from generate_series(1, ${shape.users}) g`;
    // Ids made first, so that turns and both of their messages can name each other.
    await tx`
      create temporary table seed_chats on commit drop as
      select chatq_uuidv7() as id, g from generate_series(1, ${shape.chats}) g`;
    // Every stride-th chat is the reader's, the others go round the members: each owner's chats
    // span the whole period, as an active user's do. (A heavy user gone quiet, whose chats are all
    // older than the rest, is a case of its own: test/db/list-plans.test.ts holds its plan.)
    const stride = Math.floor(shape.chats / shape.readerChats);
    await tx`
      with members as (
        select array_agg(id) as ids from users where username like ${SEEDED + '%'} and id <> ${row!.id}
      )
      insert into chats (id, owner_id, title, last_model_config_id, generation)
      select s.id,
             case when s.g % ${stride} = 0 then ${row!.id}::uuid
                  else m.ids[1 + (s.g - s.g / ${stride}) % ${shape.users}] end,
             'seeded chat ' || s.g, ${model}, ${shape.turnsPerChat}
      from seed_chats s, members m`;
    await tx`
      create temporary table seed_turns on commit drop as
      select s.id as chat_id, k, chatq_uuidv7() as turn_id, chatq_uuidv7() as question_id, chatq_uuidv7() as reply_id
      from generate_series(1, ${shape.turnsPerChat}) k cross join seed_chats s`;
    await tx`
      insert into turns (id, chat_id, generation, status, model_config_id, user_message_id, attempts, steps,
                         finish_reason, started_at, finished_at)
      select turn_id, chat_id, k, 'completed', ${model}, question_id, 1, 1, 'stop', now(), now()
      from seed_turns`;
    await tx`
      insert into messages (id, chat_id, role, content, model_config_id, turn_id, usage, cost_micros)
      select m.id, t.chat_id, m.role, m.content, m.model, m.turn, m.usage, m.cost
      from seed_turns t cross join lateral (values
        (1, t.question_id, 'user', 'What is the weather in Lisbon this weekend?', null::uuid, null::uuid,
         null::jsonb, null::bigint),
        (2, t.reply_id, 'assistant', 'Sunny and 24 degrees on Saturday; clouds on Sunday afternoon.', ${model}::uuid,
         t.turn_id, '{"input_tokens": 20, "output_tokens": 16}'::jsonb, 0::bigint)
      ) as m (n, id, role, content, model, turn, usage, cost)
      order by t.k, m.n`;
    return row!.id;
  });
  await sql`analyze`;
  return reader;
}
