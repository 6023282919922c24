/** The emulator's own errors: a bad setting, a damaged store; messages are for the operator as is. */

/** A setting (environment variable or option) the emulator refuses; the message names it. */
export class EmulatorConfigError extends Error {
  override name = 'EmulatorConfigError';
}

/**
 * The store's SQLite file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB met on opening it). Nothing was
 * written to it; the way on is to move it aside (the next start seeds a new store).
 */
export class DamagedStoreError extends Error {
  override name = 'DamagedStoreError';
  readonly file: string;
  constructor(file: string, detail: string) {
    super(
      [
        `The emulator's store ${file} is damaged: ${detail}`,
        'Nothing was written to it. Move it aside (with its -wal and -shm files, if any) or delete it:',
        'the next start seeds a new store (EMULATOR_SEED), without the links made since.',
      ].join('\n'),
    );
    this.file = file;
  }
}
