import type { ChatEvent, ChatEventType, TurnAbort } from '@chatq/contracts';
import type { RedisClient as Redis } from '@chatq/platform';

/** One event as stored: its stream id, type, and data as the JSON text clients receive. */
export interface LoggedEvent {
  id: string;
  type: ChatEventType;
  data: string;
}

/**
 * An event as a replay reads it: `data` stays the bytes Redis sent, never decoded into a string.
 * Replaying a long log to many clients then costs one buffer per event in flight, not the string
 * copies (and the garbage) decoding and re-encoding it would make.
 */
export interface ReplayedEvent {
  id: string;
  type: ChatEventType;
  data: Buffer;
}

/** Where a chat's log stands, read atomically: what a joiner needs to start streaming. */
export interface LogPosition {
  /** Id of the newest event, or null when the log is empty or expired. */
  lastId: string | null;
  /** The running turn whose reply is streaming, and its text up to `lastId`. */
  liveTurnId: string | null;
  liveText: string;
  /**
   * Oldest id still kept, once the log has trimmed anything (else null): a cursor older than this
   * cannot be resumed exactly.
   */
  trimmedBefore: string | null;
}

/**
 * Why a worker's append was refused: `fenced` (the turn is no longer current: stop it), `held` (an
 * interrupt is reading the partial reply), `not_live` (another turn owns the live reply).
 */
export type AppendRefusal = 'fenced' | 'held' | 'not_live';

export interface EventLogOptions {
  /** The deployment's key prefix (QUEUE_PREFIX). */
  prefix: string;
  /** Approximate bound on each log's length. */
  maxLen: number;
  /** A log untouched this long expires. */
  ttlSeconds: number;
}

/*
 * Per chat: a stream of events, and a small hash + string describing the live reply (which turn,
 * its text so far, the lowest generation still allowed to write, and an interrupt's hold). Keeping
 * them in one script makes "append delta and extend the text" atomic, so a joiner's snapshot is
 * exactly the deltas up to the id it is given. chat.status events are copied to the owner's log,
 * which feeds GET /chats/watch.
 *
 * KEYS: stream, meta, text, owner stream
 * ARGV: maxlen, ttl, op (api|start|delta|end), turn id, generation, delta, release hold (1|''),
 *       channel, message, then type/data pairs.
 * api: raises min_gen to `generation` (dropping an older live reply), optionally releases the hold
 * and publishes `message` on `channel`. start/delta/end come from the worker running the turn.
 */
const APPEND_LUA = `
local stream, meta, text, owner = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl, op, turn, gen = tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
if op == 'api' then
  if gen then
    if gen > tonumber(redis.call('HGET', meta, 'min_gen') or '0') then
      redis.call('HSET', meta, 'min_gen', gen)
    end
    local live = tonumber(redis.call('HGET', meta, 'gen') or '-1')
    if live >= 0 and live < gen then
      redis.call('HDEL', meta, 'turn', 'gen')
      redis.call('DEL', text)
    end
  end
  if ARGV[7] == '1' then redis.call('HDEL', meta, 'hold_until') end
else
  if gen < tonumber(redis.call('HGET', meta, 'min_gen') or '0') then return -2 end
  if op ~= 'end' then
    local hold = tonumber(redis.call('HGET', meta, 'hold_until') or '0')
    if hold > 0 then
      local t = redis.call('TIME')
      if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) < hold then return -1 end
    end
  end
  local live = redis.call('HGET', meta, 'turn')
  if op == 'start' then
    redis.call('HSET', meta, 'turn', turn, 'gen', gen)
    redis.call('SET', text, '')
  elseif op == 'delta' then
    if not live then
      redis.call('HSET', meta, 'turn', turn, 'gen', gen)
    elseif live ~= turn then
      return -3
    end
    redis.call('APPEND', text, ARGV[6])
  elseif live == turn then
    redis.call('HDEL', meta, 'turn', 'gen')
    redis.call('DEL', text)
  end
end
local ids = {}
for i = 10, #ARGV, 2 do
  local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[1], '*', 't', ARGV[i], 'd', ARGV[i + 1])
  table.insert(ids, id)
  if ARGV[i] == 'chat.status' then
    redis.call('XADD', owner, 'MAXLEN', '~', ARGV[1], '*', 't', ARGV[i], 'd', ARGV[i + 1])
    redis.call('EXPIRE', owner, ttl)
  end
end
for _, key in ipairs({ stream, meta, text }) do redis.call('EXPIRE', key, ttl) end
if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[8], ARGV[9]) end
return ids
`;

/* KEYS: meta, text. ARGV: hold ms, ttl. Stops the live reply from growing; returns {turn, text}. */
const HOLD_LUA = `
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'hold_until', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return { redis.call('HGET', KEYS[1], 'turn') or '', redis.call('GET', KEYS[2]) or '' }
`;

/*
 * KEYS: stream, meta, text. Returns {last id, live turn, live text, oldest kept id if trimmed}.
 * (Trimming does not move max-deleted-entry-id, so "trimmed" is entries-added > length.)
 */
const POSITION_LUA = `
local last, trimmed = '', ''
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local f = {}
  for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
  if f['last-entry'] then last = f['last-entry'][1] end
  if f['first-entry'] and tonumber(f['entries-added']) > tonumber(f['length']) then trimmed = f['first-entry'][1] end
end
return { last, redis.call('HGET', KEYS[2], 'turn') or '', redis.call('GET', KEYS[3]) or '', trimmed }
`;

/*
 * KEYS: stream, meta, text. ARGV: fence, ttl, channel, message. Deletes a chat's log, and leaves in
 * its place only a fence (`min_gen` above any generation) for `ttl`: a worker still streaming the
 * deleted chat's turn has its appends refused (`fenced`, so it stops) instead of re-creating the log.
 * Publishes the abort for that worker, if any, in the same step.
 */
const ERASE_LUA = `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[2], 'min_gen', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
`;

/** Higher than any generation a chat reaches (2^53 - 1: exact in Lua's doubles). */
const ERASED_FENCE = '9007199254740991';

const REFUSALS: Record<number, AppendRefusal> = { [-1]: 'held', [-2]: 'fenced', [-3]: 'not_live' };

interface Scripts {
  chatqAppend(...args: (string | number)[]): Promise<string[] | number>;
  chatqHold(...args: (string | number)[]): Promise<[string, string]>;
  chatqPosition(...args: string[]): Promise<[string, string, string, string]>;
  chatqErase(...args: string[]): Promise<number>;
}

/** Stream entries as XRANGE/XREAD return them. */
export type RawEntry = [id: string, fields: string[]];

export function toLoggedEvent([id, fields]: RawEntry): LoggedEvent {
  const get = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
  return { id, type: get('t') as ChatEventType, data: get('d') };
}

/** Compares two stream ids numerically: negative when a is older. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

/**
 * The event log of chats (Redis Streams): the API and workers append, API replicas read. Every
 * append is one round trip. Events are best effort next to Postgres, which stays the truth: a
 * client that finds a gap re-reads the chat over HTTP.
 */
export class ChatEventLog {
  readonly options: EventLogOptions;
  readonly controlChannel: string;
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis, options: EventLogOptions) {
    this.options = options;
    this.controlChannel = `${options.prefix}:control`;
    const scripted = redis as Redis & Partial<Scripts>;
    if (!scripted.chatqAppend) {
      redis.defineCommand('chatqAppend', { numberOfKeys: 4, lua: APPEND_LUA });
      redis.defineCommand('chatqHold', { numberOfKeys: 2, lua: HOLD_LUA });
      redis.defineCommand('chatqPosition', { numberOfKeys: 3, lua: POSITION_LUA });
      redis.defineCommand('chatqErase', { numberOfKeys: 3, lua: ERASE_LUA });
    }
    this.redis = redis as Redis & Scripts;
  }

  chatKey(chatId: string): string {
    return `${this.options.prefix}:events:chat:${chatId}`;
  }

  ownerKey(userId: string): string {
    return `${this.options.prefix}:events:user:${userId}`;
  }

  private keys(chatId: string, ownerId: string): string[] {
    const stream = this.chatKey(chatId);
    return [stream, `${stream}:live`, `${stream}:text`, this.ownerKey(ownerId)];
  }

  private pairs(events: ChatEvent[]): string[] {
    return events.flatMap((e) => [e.type, JSON.stringify(e.data)]);
  }

  /**
   * Appends what the API changed. `minGeneration` fences older turns out of the log (they were
   * superseded or cancelled); `abort` tells the worker running that turn to stop.
   */
  async record(
    chatId: string,
    ownerId: string,
    events: ChatEvent[],
    options: { minGeneration?: number; releaseHold?: boolean; abort?: TurnAbort } = {},
  ): Promise<string[]> {
    const { maxLen, ttlSeconds } = this.options;
    const result = await this.redis.chatqAppend(
      ...this.keys(chatId, ownerId),
      maxLen,
      ttlSeconds,
      'api',
      '',
      options.minGeneration ?? '',
      '',
      options.releaseHold ? '1' : '',
      options.abort ? this.controlChannel : '',
      options.abort ? JSON.stringify(options.abort) : '',
      ...this.pairs(events),
    );
    return result as string[];
  }

  /** Appends what the worker running `turn` produced, unless the turn may no longer write. */
  async turn(
    op: 'start' | 'delta' | 'end',
    chatId: string,
    ownerId: string,
    turn: { id: string; generation: number },
    events: ChatEvent[],
    delta = '',
  ): Promise<string[] | AppendRefusal> {
    const { maxLen, ttlSeconds } = this.options;
    const result = await this.redis.chatqAppend(
      ...this.keys(chatId, ownerId),
      maxLen,
      ttlSeconds,
      op,
      turn.id,
      turn.generation,
      delta,
      '',
      '',
      '',
      ...this.pairs(events),
    );
    return typeof result === 'number' ? REFUSALS[result]! : result;
  }

  /**
   * Deletes a deleted chat's log: its events and live reply, which quote the conversation. What
   * stays until the log's TTL runs out is a fence that refuses every append (see ERASE_LUA).
   * `abort` tells the worker running the chat's turn to stop.
   */
  async erase(chatId: string, abort?: TurnAbort): Promise<void> {
    const stream = this.chatKey(chatId);
    await this.redis.chatqErase(
      stream,
      `${stream}:live`,
      `${stream}:text`,
      ERASED_FENCE,
      String(this.options.ttlSeconds),
      abort ? this.controlChannel : '',
      abort ? JSON.stringify(abort) : '',
    );
  }

  /**
   * Freezes the live reply for `ms` (until an interrupt records its outcome) and returns it: the
   * partial text clients have seen is then exactly what the interrupt stores.
   */
  async hold(chatId: string, ms: number): Promise<{ turnId: string | null; text: string }> {
    const stream = this.chatKey(chatId);
    const [turnId, text] = await this.redis.chatqHold(`${stream}:live`, `${stream}:text`, ms, this.options.ttlSeconds);
    return { turnId: turnId || null, text };
  }

  /** Where the log `key` (a chatKey or ownerKey) stands; owner logs have no live reply. */
  async position(key: string): Promise<LogPosition> {
    const [last, turn, text, trimmed] = await this.redis.chatqPosition(key, `${key}:live`, `${key}:text`);
    return { lastId: last || null, liveTurnId: turn || null, liveText: text, trimmedBefore: trimmed || null };
  }

  /** The newest id of any log (chat or owner), or null. */
  async lastId(key: string): Promise<string | null> {
    const [top] = (await this.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as RawEntry[];
    return top ? top[0] : null;
  }

  /** Up to `count` events strictly after `after` (`0`: from the oldest kept), their data as bytes. */
  async range(key: string, after: string, count: number): Promise<ReplayedEvent[]> {
    const start = after === '0' ? '-' : `(${after}`;
    const entries = await this.redis.xrangeBuffer(key, start, '+', 'COUNT', count);
    return entries.map(([id, fields]) => {
      // Names are at even positions; only they are decoded.
      const field = (name: string) => {
        for (let i = 0; i < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1]!;
        return Buffer.alloc(0);
      };
      // A copy: the parser's buffers are views of one shared pool, which a kept view would pin.
      return { id: id.toString(), type: field('t').toString() as ChatEventType, data: Buffer.from(field('d')) };
    });
  }
}
