/**
 * A new, empty PostgreSQL database for one test (or one file), on the cluster the run's global
 * set-up started (server/testing/pg-global-setup.ts). Returns its URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export async function testDatabase(prefix = 't'): Promise<string> {
  const base = inject('pgUrl');
  if (!base) {
    throw new Error(`The test run's PostgreSQL did not start: ${inject('pgUnavailable')}`);
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
