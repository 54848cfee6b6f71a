import type { FilterInput, RvfStore } from '@rvfjs/runtime';
import { rvfError } from '@rvfjs/types';

type Kind = 'string' | 'number';

/** One comparison in a filter: the field it reads and the values it compares with. */
interface Comparison {
  path: string;
  field?: string;
  fieldId?: number;
  values: unknown[];
  valueType?: string;
}

/**
 * The library answers a filter on a field it has never seen, or a comparison of numbers
 * with a string, with no matches, as it must for programs that build filters for many
 * stores. At a shell that silent `[]` hides a typo, so the CLI refuses both (FilterParseError,
 * exit code 2) unless `--lenient-filter`. A field's kinds are learned from the store itself
 * with a one-result query that matches any value of the kind, so branches, deletions and
 * unnamed (flat-form) fields are seen exactly as the real query sees them.
 */
export async function checkFilterAgainstStore(store: RvfStore, filter: FilterInput): Promise<void> {
  const names = store.fieldNames().map((f) => f.name);
  const known = new Set(names);
  const empty = store.status().totalVectors === 0;
  const probe = new Array<number>(store.dimension).fill(1);
  const seen = new Map<string, boolean>();
  const holds = async (c: Comparison, kind: Kind): Promise<boolean> => {
    const key = `${c.field ?? `#${c.fieldId}`}/${kind}`;
    let answer = seen.get(key);
    if (answer === undefined) {
      const ref = c.field !== undefined ? { field: c.field } : { fieldId: c.fieldId! };
      // Every string is >= '' and every number >= -Infinity: "has any value of this kind".
      const anyOfKind = { op: 'ge' as const, ...ref, value: kind === 'string' ? '' : -Infinity };
      const hits = await store.query(probe, 1, { filter: anyOfKind, includeMetadata: false, plan: 'exact' });
      answer = hits.length > 0;
      seen.set(key, answer);
    }
    return answer;
  };

  for (const c of comparisons(filter)) {
    const where = `--filter${c.path}`;
    if (c.field !== undefined && !known.has(c.field)) {
      const list = names.length > 0 ? names.map((n) => `'${n}'`).join(', ') : 'none';
      throw rvfError(
        'FilterParseError',
        `${where}: the store has no field '${c.field}' (its fields: ${list}); --lenient-filter allows it`,
        { field: c.field },
      );
    }
    if (empty) continue;
    const label = c.field !== undefined ? `field '${c.field}'` : `field id ${c.fieldId}`;
    if (c.fieldId !== undefined && !(await holds(c, 'string')) && !(await holds(c, 'number'))) {
      throw rvfError(
        'FilterParseError',
        `${where}: no vector has a value in ${label}; --lenient-filter allows it`,
        { fieldId: c.fieldId },
      );
    }
    for (const value of c.values) {
      const kind = kindOf(value, c.valueType);
      if (kind === undefined || (await holds(c, kind))) continue;
      const other: Kind = kind === 'string' ? 'number' : 'string';
      if (await holds(c, other)) {
        throw rvfError(
          'FilterParseError',
          `${where}: ${label} holds ${other === 'string' ? 'strings' : 'numbers'}, the filter compares it with the ${kind} ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}; --lenient-filter allows it`,
          { field: c.field ?? c.fieldId },
        );
      }
    }
  }
}

/** How the library will compare a filter value: as a string, or as a number (valueType converts). */
function kindOf(value: unknown, valueType: string | undefined): Kind | undefined {
  if (valueType !== undefined) return valueType === 'string' ? 'string' : 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  return undefined;
}

function comparisons(f: FilterInput, path = ''): Comparison[] {
  const node = f as Record<string, unknown>;
  switch (node.op) {
    case 'and':
    case 'or':
      return (node.children as FilterInput[]).flatMap((c, i) => comparisons(c, `${path}.children[${i}]`));
    case 'not':
      return comparisons(node.child as FilterInput, `${path}.child`);
    default: {
      const values =
        node.op === 'in'
          ? (node.values as unknown[])
          : node.op === 'range'
            ? [node.low, node.high]
            : [node.value];
      return [
        {
          path,
          ...(typeof node.field === 'string' ? { field: node.field } : { fieldId: node.fieldId as number }),
          values,
          ...(typeof node.valueType === 'string' ? { valueType: node.valueType } : {}),
        },
      ];
    }
  }
}
