/**
 * The package's public API (`secmaster-emulator`): run the emulator in process, seed it, inject
 * faults, and read what it holds. The thread that embeds it is `secmaster-emulator/thread`, the IAM
 * stand-in `secmaster-emulator/iam`; everything else is internal.
 */
export { createEmulator, startEmulator, type EmulatorDeps, type RunningEmulator } from './app';
export { DEMO_AK, DEMO_SK, type EmulatorAuth, type EmulatorAuthMode } from './auth';
export { openEmulatorDb, type Database } from './db';
export { DEMO_PROJECT_ID } from './env';
export { DamagedStoreError, EmulatorConfigError } from './errors';
export {
  createFaultInjector,
  parseFaults,
  type FaultConfig,
  type FaultDeps,
  type FaultInjector,
  type FaultStats,
} from './faults';
export { isLinked, linksInFile, linksOf, type LinkSubject } from './inspect';
export {
  SEED_WORKSPACES,
  parseSeedSizes,
  seedEmulator,
  seedObjectIds,
  seededRandom,
  type SeedSizes,
} from './seed';
export { createStore, type Link } from './store';
export type { DataclassType } from './wire';
