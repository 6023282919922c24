/**
 * The ledger's migrations, in order: version 1, 2, 3… (server/db/migrate.ts checks it). One file per
 * migration; a released migration never changes, a change to the schema is a new one at the end.
 */
import { leasesMigration } from '../leases';
import type { Migration } from '../migration';
import { sessionsMigration } from '../sessions';
import { sharedBudgetMigration } from '../shared-budget';
import { ledger } from './001-ledger';
import { itemCounts } from './005-item-counts';
import { credentialSession } from './006-credential-session';
import { openLeases } from './007-open-leases';
import { idKeyLengths } from './008-id-key-lengths';
import { leaseStops } from './009-lease-stops';

export const migrations: readonly Migration[] = [
  ledger,
  leasesMigration,
  sharedBudgetMigration,
  sessionsMigration,
  itemCounts,
  credentialSession,
  openLeases,
  idKeyLengths,
  leaseStops,
];
