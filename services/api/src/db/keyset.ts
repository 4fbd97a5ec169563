import type { Sql } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';

/**
 * The WHERE condition (as `and ...`), ORDER BY and LIMIT of one keyset page over `column`, a
 * unique key the list is sorted by in `order`. A cursor is the boundary just past the row with its
 * key: `after` takes the rows beyond it, `before` the rows up to and including that row, walking
 * backwards. No OFFSET: a page costs the same wherever it is, and rows inserted meanwhile never
 * shift the ones a cursor points past.
 */
export function keyset<K extends string>(sql: Sql, column: string, order: 'asc' | 'desc', page: PageRequest<K>) {
  // Going `before` a cursor walks the list backwards; toPage() turns the rows round again.
  const ascending = (order === 'asc') === (page.direction === 'after');
  const col = sql.unsafe(column);
  return {
    where:
      page.cursor === null
        ? sql``
        : page.direction === 'after'
          ? ascending
            ? sql`and ${col} > ${page.cursor}`
            : sql`and ${col} < ${page.cursor}`
          : ascending
            ? sql`and ${col} >= ${page.cursor}`
            : sql`and ${col} <= ${page.cursor}`,
    orderLimit: ascending
      ? sql`order by ${col} asc limit ${page.limit + 1}`
      : sql`order by ${col} desc limit ${page.limit + 1}`,
  };
}
