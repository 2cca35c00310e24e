import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
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
