/**
 * Reading `EXPLAIN (FORMAT JSON)` plans for what makes a query's cost grow with a table: reading a
 * large table whole, or sorting rows that nothing bounds. Pure: no database.
 */

/** One node of a JSON plan (only the fields read here). */
export interface PlanNode {
  'Node Type': string;
  /** With EXPLAIN ANALYZE: what the node did, per loop. */
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Sort Key'?: string[];
  Strategy?: string;
  Plans?: PlanNode[];
}

export interface PlanRules {
  /** Tables that grow with use: a plan never reads one whole. */
  large: ReadonlySet<string>;
  /**
   * Indexes whose condition bounds the rows a Sort may take (one turn's messages, say); otherwise
   * only a Limit's output, a primary-key lookup or a small table's rows may be sorted.
   */
  sortsBoundedBy?: readonly string[];
}

const SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan', 'Bitmap Index Scan']);
/** Nodes that read their whole input before returning a row: a Limit above them stops nothing below. */
const BLOCKING = new Set(['Sort', 'Incremental Sort', 'Hash', 'Aggregate', 'SetOp', 'WindowAgg', 'Materialize']);

/** Children that feed rows to the node (not subplans, which each yield a value). */
const inputs = (node: PlanNode): PlanNode[] =>
  (node.Plans ?? []).filter((c) => c['Parent Relationship'] !== 'SubPlan' && c['Parent Relationship'] !== 'InitPlan');

/** A one-line name of the node, for failure messages. */
export function describeNode(node: PlanNode): string {
  const on = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
  const using = node['Index Name'] ? ` using ${node['Index Name']}` : '';
  const cond = node['Index Cond'] ? ` (${node['Index Cond']})` : '';
  const key = node['Sort Key'] ? ` by ${node['Sort Key'].join(', ')}` : '';
  return `${node['Node Type']}${on}${using}${cond}${key}`;
}

/**
 * The nodes of the plan whose cost grows with a large table, each named with why:
 * - a Seq Scan of a large table;
 * - an index scan without an index condition that no Limit stops (it reads the whole index), or a
 *   bitmap index scan without one (a bitmap is always built whole);
 * - a Sort whose input is not bounded (see `bounded`): the page's order did not come from an index.
 */
export function planOffences(root: PlanNode, rules: PlanRules): string[] {
  const offences: string[] = [];
  // `limited`: a Limit above stops this node early. `heap`: the table a bitmap index scan serves.
  const visit = (node: PlanNode, limited: boolean, heap: string | undefined): void => {
    const type = node['Node Type'];
    const table = node['Relation Name'] ?? heap;
    const large = table !== undefined && rules.large.has(table);
    if (type === 'Seq Scan' && large) offences.push(`${describeNode(node)}: reads the whole table`);
    if (node['Index Name'] !== undefined && node['Index Cond'] === undefined && large) {
      if (type === 'Bitmap Index Scan') offences.push(`${describeNode(node)}: builds a bitmap of the whole index`);
      else if (!limited) offences.push(`${describeNode(node)}: walks the whole index, no Limit stops it`);
    }
    if ((type === 'Sort' || type === 'Incremental Sort') && !inputs(node).every((c) => bounded(c, rules))) {
      offences.push(`${describeNode(node)}: sorts rows no Limit or bounding index caps (${unbounded(node, rules)})`);
    }
    const cut = type === 'Limit' || (limited && !BLOCKING.has(type));
    for (const child of node.Plans ?? []) {
      const rel = child['Parent Relationship'];
      // A subplan runs to its own end; a Hash reads its input whole (BLOCKING).
      visit(child, rel !== 'SubPlan' && rel !== 'InitPlan' && cut, type === 'Bitmap Heap Scan' ? table : heap);
    }
  };
  visit(root, false, undefined);
  return offences;
}

/**
 * How many table rows an analyzed plan (EXPLAIN ANALYZE) read: each scan's rows, those its filter
 * threw away included, over all its loops. Index entries a bitmap skipped never reach the table.
 */
export function rowsRead(root: PlanNode): number {
  const TABLE_SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);
  const own = TABLE_SCANS.has(root['Node Type'])
    ? ((root['Actual Rows'] ?? 0) +
        (root['Rows Removed by Filter'] ?? 0) +
        (root['Rows Removed by Index Recheck'] ?? 0)) *
      (root['Actual Loops'] ?? 1)
    : 0;
  return (root.Plans ?? []).reduce((sum, child) => sum + rowsRead(child), own);
}

/**
 * Whether a node yields a number of rows no table size raises: a Limit's, a primary-key lookup's,
 * a small table's, or a scan whose index condition on a `sortsBoundedBy` index bounds it; a node
 * built on such inputs only (a join of them, say) is bounded too.
 */
export function bounded(node: PlanNode, rules: PlanRules): boolean {
  const type = node['Node Type'];
  const table = node['Relation Name'];
  if (type === 'Limit' || (type === 'Aggregate' && node.Strategy === 'Plain')) return true;
  if (table !== undefined && !rules.large.has(table)) return true;
  if (type === 'Seq Scan') return false;
  if (type === 'Index Scan' || type === 'Index Only Scan' || type === 'Bitmap Index Scan') {
    return boundingIndex(node, rules);
  }
  // A bitmap heap scan reads what its bitmap holds; an intersection of bitmaps, the least of them.
  const children = inputs(node);
  if (type === 'BitmapAnd') return children.some((c) => bounded(c, rules));
  return children.length > 0 && children.every((c) => bounded(c, rules));
}

/** A lookup by primary key, or a scan with a condition on an index the rules say bounds a sort. */
function boundingIndex(node: PlanNode, rules: PlanRules): boolean {
  const index = node['Index Name'];
  const cond = node['Index Cond'];
  if (index === undefined || cond === undefined) return false;
  if (index.endsWith('_pkey') && /^\(id = [^()]+\)$/.test(cond)) return true;
  return rules.sortsBoundedBy?.includes(index) ?? false;
}

/** The first unbounded scan under a node, to name in a failure message. */
function unbounded(node: PlanNode, rules: PlanRules): string {
  for (const child of inputs(node)) {
    if (bounded(child, rules)) continue;
    const deeper = inputs(child).length > 0 && !SCANS.has(child['Node Type']) ? unbounded(child, rules) : '';
    return deeper || describeNode(child);
  }
  return describeNode(node);
}
