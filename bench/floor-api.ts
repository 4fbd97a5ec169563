// The benchmark's HTTP floor: a bare fastify route per change doing exactly chatq's database call
// (the same chatq_* function, one round trip) and the same enqueue, and nothing else: no auth, no
// validation, no error mapping. chatq's API is measured as a fraction of this.
import { addTurnJob, createTurnQueue } from '@chatq/chat-core';
import { announceListening, createRedis, createSql } from '@chatq/platform';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';

const env = process.env;
const owner = env.BENCH_OWNER!;
const sql = createSql(env.DATABASE_URL!, { max: Number(env.DATABASE_POOL_MAX ?? 10), applicationName: 'bench-floor' });
const redis = createRedis(env.REDIS_URL!, 'producer');
const queue = createTurnQueue(redis, env.QUEUE_PREFIX!);

interface Change {
  turn?: { id: string; chat_id: string; generation: number };
}

async function enqueue(change: Change): Promise<void> {
  const t = change.turn;
  if (t) await addTurnJob(queue, { turn_id: t.id, chat_id: t.chat_id, generation: Number(t.generation) });
}

const app = Fastify();
app.get('/healthz', async () => ({ status: 'ok' }));
app.post<{ Params: { chat: string }; Body: { content: string } }>('/send/:chat', async (request, reply) => {
  const [row] = await sql<{ r: Change }[]>`
    select chatq_send_message(${owner}, ${request.params.chat}, ${request.body.content}, ${null}, 'queue', 20, ${null}, ${null}) as r`;
  await enqueue(row!.r);
  return reply.code(201).send(row!.r);
});
app.patch<{ Params: { chat: string; message: string }; Body: { content: string } }>(
  '/edit/:chat/:message',
  async (request) => {
    const [row] = await sql<{ r: Change }[]>`
      select chatq_edit_message(${owner}, ${request.params.chat}, ${request.params.message}, ${request.body.content}, ${null}) as r`;
    await enqueue(row!.r);
    return row!.r;
  },
);
app.post<{ Body: { content: string } }>('/chats', async (request, reply) => {
  const [row] = await sql<{ r: Change }[]>`
    select chatq_create_chat(${owner}, ${'bench'}, ${null}, ${request.body.content}) as r`;
  await enqueue(row!.r);
  return reply.code(201).send(row!.r);
});

await app.listen({ port: Number(env.PORT), host: '127.0.0.1' });
announceListening((app.server.address() as AddressInfo).port);
process.on('SIGTERM', () => {
  void app.close().then(async () => {
    await queue.close();
    redis.disconnect();
    await sql.end({ timeout: 1 });
    process.exit(0);
  });
});
