import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { QueryRunner } from './sql.js';

/** A named placeholder in a query built once (see {@link prepared}). */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A placeholder for the argument `name` of a prepared query, typed as the column's value so
 * the query builder accepts it. Only where Kysely passes a value through as one parameter
 * (comparisons, `set`, `values`, `sql` template values); not in `in` lists.
 */
export function slot<T = never>(name: string): T {
  return new Slot(name) as unknown as T;
}

/**
 * A query built and compiled to SQL once, then run with new arguments: the hot paths skip
 * Kysely's build and compile work on every call (the SQL text is the same each time, so
 * the driver's statement cache hits too). Build the query with {@link slot} placeholders;
 * run it on the database, inside a transaction (a Transaction is a Kysely), or on SQLite's
 * direct runner (see SqliteDirect).
 */
export function prepared<A extends Record<string, unknown>>(
  build: () => Compilable,
): (db: QueryRunner, args: A) => Promise<QueryResult<Record<string, unknown>>> {
  let compiled: CompiledQuery | undefined;
  let slots: (string | undefined)[] = [];
  return (db, args) => {
    if (!compiled) {
      compiled = build().compile();
      slots = compiled.parameters.map((p) => (p instanceof Slot ? p.name : undefined));
    }
    const fixed = compiled.parameters;
    const parameters = slots.map((name, i) => (name === undefined ? fixed[i] : args[name]));
    return db.executeQuery<Record<string, unknown>>({ ...compiled, parameters });
  };
}

/**
 * A multi-row statement (an INSERT of n rows) compiled once per row count, its parameters
 * filled straight from the rows: `columns` names each column's value of a row, `build`
 * makes the statement from one values object per row (the columns as slots; add fixed
 * columns there). No arguments object and no slot names per row on the hot path: with
 * {@link prepared} an INSERT of many rows spent more on naming its arguments than SQLite
 * spent on the rows.
 */
export function preparedRows<R>(
  columns: Readonly<Record<string, (row: R) => unknown>>,
  build: (values: Record<string, unknown>[]) => Compilable,
): (db: QueryRunner, rows: readonly R[]) => Promise<QueryResult<Record<string, unknown>>> {
  const names = Object.keys(columns);
  const getters = names.map((n) => columns[n]!);
  const plans = new Map<number, { compiled: CompiledQuery; row: Int32Array; column: Int32Array }>();
  const planFor = (n: number) => {
    let plan = plans.get(n);
    if (!plan) {
      const values = Array.from({ length: n }, (_, i) =>
        Object.fromEntries(names.map((c, k) => [c, slot(`${i}:${k}`)])),
      );
      const compiled = build(values).compile();
      const row = new Int32Array(compiled.parameters.length).fill(-1);
      const column = new Int32Array(compiled.parameters.length);
      compiled.parameters.forEach((p, j) => {
        if (!(p instanceof Slot)) return;
        const [i, k] = p.name.split(':').map(Number);
        row[j] = i!;
        column[j] = k!;
      });
      plans.set(n, (plan = { compiled, row, column }));
    }
    return plan;
  };
  return (db, rows) => {
    const { compiled, row, column } = planFor(rows.length);
    const fixed = compiled.parameters;
    const parameters = new Array<unknown>(fixed.length);
    for (let j = 0; j < fixed.length; j++)
      parameters[j] = row[j]! < 0 ? fixed[j] : getters[column[j]!]!(rows[row[j]!]!);
    return db.executeQuery<Record<string, unknown>>({ ...compiled, parameters });
  };
}

/**
 * {@link prepared} for code that is handed a database or a transaction of any engine (a store
 * made anew per transaction, a function taking the handle): the query is compiled once per
 * dialect, keyed by the handle's dialect adapter (a transaction shares its database's), and
 * run on the handle it is called with.
 */
export function preparedOn<A extends Record<string, unknown>, DB>(
  build: (db: Kysely<DB>) => Compilable,
): (db: Kysely<DB>, args: A) => Promise<QueryResult<Record<string, unknown>>> {
  const byDialect = new WeakMap<object, ReturnType<typeof prepared<A>>>();
  return (db, args) => {
    const adapter = db.getExecutor().adapter;
    let run = byDialect.get(adapter);
    if (!run) byDialect.set(adapter, (run = prepared<A>(() => build(db))));
    return run(db, args);
  };
}
