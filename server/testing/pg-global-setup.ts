/**
 * Vitest global set-up (the `node` project): one real PostgreSQL cluster for the whole run. Tests
 * get a database of their own with `testDatabase()` (server/testing/pg-database.ts).
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgres({ durable: false });
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}
