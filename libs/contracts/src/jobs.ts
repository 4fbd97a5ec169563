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
  /** How often the turn was queued again after waiting on tool results or approvals (absent: never). */
  resume: z.number().int().positive().optional(),
});
export type TurnJob = z.infer<typeof TurnJob>;

/**
 * One job per run of a turn: enqueuing the same run twice is a no-op. A turn that waited on the
 * caller runs again under a new id (`-r<n>`), since its finished job may still hold the first one.
 */
export const turnJobId = (turnId: string, resume?: number): string =>
  resume ? `turn-${turnId}-r${resume}` : `turn-${turnId}`;
