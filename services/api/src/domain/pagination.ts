import type { PageOf, PageQuery } from '@chatq/contracts';
import { BadRequestError } from './errors.ts';

/** A validated page request: which way to go from which key (null: from the start of the list). */
export interface PageRequest<K> {
  limit: number;
  direction: 'after' | 'before';
  cursor: K | null;
}

/** How one list turns its sort key into a cursor and back; `decode` returns undefined for garbage. */
export interface CursorCodec<K> {
  encode: (key: K) => string;
  decode: (cursor: string) => K | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEQ = /^[1-9][0-9]{0,17}$/;

const base64url = (s: string) => Buffer.from(s).toString('base64url');
const unbase64url = (s: string) => Buffer.from(s, 'base64url').toString();

/** Lists keyed by time-ordered uuid (chats, providers, model configs). */
export const uuidCursor: CursorCodec<string> = {
  encode: (id) => base64url(id),
  decode: (cursor) => {
    const id = unbase64url(cursor);
    return UUID.test(id) ? id : undefined;
  },
};

/** Lists keyed by a bigint sequence (messages); kept as a string, never a lossy number. */
export const seqCursor: CursorCodec<string> = {
  encode: (seq) => base64url(`s${seq}`),
  decode: (cursor) => {
    const raw = unbase64url(cursor);
    return raw.startsWith('s') && SEQ.test(raw.slice(1)) ? raw.slice(1) : undefined;
  },
};

function invalid(field: 'after' | 'before', detail: string): BadRequestError {
  return new BadRequestError('Invalid cursor.', undefined, [{ field: `querystring.${field}`, detail }]);
}

export function pageRequest<K>(query: PageQuery, codec: CursorCodec<K>): PageRequest<K> {
  if (query.after !== undefined && query.before !== undefined) {
    throw invalid('before', 'cannot be combined with after');
  }
  const direction = query.before !== undefined ? 'before' : 'after';
  const raw = query[direction];
  if (raw === undefined) return { limit: query.limit, direction, cursor: null };
  const cursor = codec.decode(raw);
  if (cursor === undefined) throw invalid(direction, 'is not a cursor this list issued');
  return { limit: query.limit, direction, cursor };
}

/**
 * Builds the page from up to `limit + 1` rows fetched in the direction of travel; `data` is always
 * in list order. A cursor marks the boundary just past an item: going forward it is the page's
 * last item, going back it is the extra row (the item just before the page), so `before` with the
 * `next_cursor` of page N returns page N, and with that page's `next_cursor`, page N - 1.
 */
export function toPage<T, K>(
  rows: T[],
  request: PageRequest<K>,
  keyOf: (item: T) => K,
  codec: CursorCodec<K>,
): PageOf<T> {
  const hasMore = rows.length > request.limit;
  const travelled = rows.slice(0, request.limit);
  const boundary = request.direction === 'after' ? travelled.at(-1) : rows[request.limit];
  return {
    data: request.direction === 'before' ? travelled.reverse() : travelled,
    next_cursor: hasMore && boundary !== undefined ? codec.encode(keyOf(boundary)) : null,
    has_more: hasMore,
  };
}
