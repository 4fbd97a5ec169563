// The benchmark's worker floor: a bare BullMQ worker running chatq's claim and complete queries
// (the same chatq_* functions) with a canned reply, at chatq's default concurrency. No model call,
// no classification, no metrics. chatq's worker is measured as a fraction of this.
import { TURN_QUEUE, type TurnJob } from '@chatq/contracts';
import { announceListening, createRedis, createSql } from '@chatq/platform';
import type { AddressInfo } from 'node:net';
import { Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const env = process.env;
const sql = createSql(env.DATABASE_URL!, { max: Number(env.DATABASE_POOL_MAX ?? 10), applicationName: 'bench-floor' });
const usage = { input_tokens: 1, output_tokens: 1 };

const worker = new Worker<TurnJob>(
  TURN_QUEUE,
  async (job) => {
    const claimId = randomUUID();
    const [claim] = await sql<{ outcome: string }[]>`
      select chatq_claim_turn(${job.data.turn_id}, ${claimId}, 5) ->> 'outcome' as outcome`;
    if (claim!.outcome !== 'claimed') return claim!.outcome;
    const [done] = await sql<{ outcome: string }[]>`
      select chatq_complete_turn(${job.data.turn_id}, ${claimId}, ${'floor reply'}, ${sql.json(usage)}, ${null}) ->> 'outcome' as outcome`;
    return done!.outcome;
  },
  {
    connection: createRedis(env.REDIS_URL!, 'consumer'),
    prefix: env.QUEUE_PREFIX!,
    concurrency: Number(env.WORKER_CONCURRENCY ?? 10),
  },
);

const probe = createServer((_req, res) => res.end('{"status":"ok"}'));
probe.listen(Number(env.WORKER_PORT), '127.0.0.1', () => announceListening((probe.address() as AddressInfo).port));
process.on('SIGTERM', () => {
  void worker.close().then(async () => {
    await sql.end({ timeout: 1 });
    process.exit(0);
  });
});
