/**
 * Vitest global set-up (the `node` project): one real PostgreSQL cluster for the whole run. Tests
 * get a database of their own with `testDatabase()` (server/testing/pg-database.ts).
 *
 * A cluster that cannot start fails only the tests that ask for a database (`testDatabase()`
 * throws the reason), never the whole run. Vitest skips its teardown when it is interrupted
 * (SIGINT/SIGTERM end it with process.exit), and pg_ctl's server outlives it: the cluster is also
 * stopped on the process's exit.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cluster's URL, or '' when it could not start (then `pgUnavailable` says why). */
    pgUrl: string;
    pgUnavailable: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const cluster = await startPostgres({ durable: false });
    const onExit = () => cluster.stop();
    process.once('exit', onExit);
    project.provide('pgUrl', cluster.url);
    project.provide('pgUnavailable', '');
    // Asynchronous: removing the cluster's directory (every test database) takes a while, and
    // vitest must go on reading its workers' messages meanwhile (postgres.ts, stopAsync). The exit
    // handler stays until it is done; should the process end first, the next run's start removes
    // what is left (its owner is gone).
    return async () => {
      await cluster.stopAsync();
      process.off('exit', onExit);
    };
  } catch (error) {
    project.provide('pgUrl', '');
    project.provide('pgUnavailable', error instanceof Error ? error.message : String(error));
    return () => Promise.resolve();
  }
}
