import { describe, expect, it } from 'vitest';
import { compilerFor } from './migration';

describe('compilerFor', () => {
  it('compiles one schema builder to each dialect’s SQL', () => {
    const build = (dialect: 'sqlite' | 'postgres') =>
      compilerFor(dialect)
        .schema.createTable('leases')
        .addColumn('batch_id', 'text', (c) => c.primaryKey())
        .addColumn('epoch', 'bigint', (c) => c.notNull())
        .compile().sql;
    expect(build('postgres')).toBe(
      'create table "leases" ("batch_id" text primary key, "epoch" bigint not null)',
    );
    expect(build('sqlite')).toBe(
      'create table "leases" ("batch_id" text primary key, "epoch" bigint not null)',
    );
    const upsert = (dialect: 'sqlite' | 'postgres') =>
      compilerFor(dialect)
        .selectFrom('t' as never)
        .selectAll()
        .where('x' as never, '=', 1 as never)
        .compile().sql;
    expect(upsert('postgres')).toBe('select * from "t" where "x" = $1');
    expect(upsert('sqlite')).toBe('select * from "t" where "x" = ?');
  });
});
