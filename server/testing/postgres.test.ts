import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testDatabase } from './pg-database';

describe('the test run’s PostgreSQL', () => {
  it('gives each caller a database of its own, empty and writable', async () => {
    const [a, b] = await Promise.all([testDatabase(), testDatabase()]);
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string }>('SELECT version()');
      expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
      await client.query('CREATE TABLE t (x int)');
      await client.query('INSERT INTO t VALUES (1), (2)');
      const count = await client.query<{ n: string }>('SELECT count(*) AS n FROM t');
      expect(count.rows[0]?.n).toBe('2');
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    try {
      const tables = await other.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(tables.rowCount).toBe(0);
    } finally {
      await other.end();
    }
  });
});
