import { z } from 'zod';
import { Uuid } from './common.ts';

/** Name of the BullMQ queue that carries assistant turns. */
export const TURN_QUEUE = 'turns';

/**
 * What the API puts on the queue for a turn. Deliberately no model or credentials: the worker reads
 * the chat's current model from Postgres when it runs, and `generation` is only a hint (the fence
 * is checked in the database).
 */
export const TurnJob = z.object({
  turn_id: Uuid,
  chat_id: Uuid,
  generation: z.number().int().nonnegative(),
});
export type TurnJob = z.infer<typeof TurnJob>;

/** One job per turn: enqueuing the same turn twice is a no-op. */
export const turnJobId = (turnId: string): string => `turn-${turnId}`;
