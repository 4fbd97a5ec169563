import type { Tx } from '@chatq/platform';
import type { PageRequest } from '../domain/pagination.ts';

/**
 * The WHERE condition (as `and ...`), ORDER BY and LIMIT of one keyset page over `column`, a
 * unique key the list is sorted by in `order`. No OFFSET: a page costs the same wherever it is,
 * and rows inserted meanwhile never shift the ones a cursor points past.
 */
export function keyset<K extends string>(tx: Tx, column: string, order: 'asc' | 'desc', page: PageRequest<K>) {
  // Going `before` a cursor walks the list backwards; toPage() turns the rows round again.
  const ascending = (order === 'asc') === (page.direction === 'after');
  const col = tx.unsafe(column);
  return {
    where: page.cursor === null ? tx`` : ascending ? tx`and ${col} > ${page.cursor}` : tx`and ${col} < ${page.cursor}`,
    orderLimit: ascending ? tx`order by ${col} asc limit ${page.limit + 1}` : tx`order by ${col} desc limit ${page.limit + 1}`,
  };
}
