/**
 * Drafts of the forms (every field, pasted text too) in IndexedDB, so a reload or a crash does not
 * lose a long paste. Where IndexedDB is unavailable (jsdom, private modes that refuse it) drafts
 * live in memory for the session. Each form parses what it reads back with its own schema.
 */
import { del, get, set } from 'idb-keyval';

const memory = new Map<string, unknown>();
let idbBroken = false;

/** The value stored under `key`, unparsed, or undefined. */
export async function readDraft(key: string): Promise<unknown> {
  if (!idbBroken) {
    try {
      return await get(key);
    } catch {
      idbBroken = true;
    }
  }
  return memory.get(key);
}

export async function writeDraft(key: string, value: unknown): Promise<void> {
  if (!idbBroken) {
    try {
      await set(key, value);
      return;
    } catch {
      idbBroken = true;
    }
  }
  memory.set(key, value);
}

export async function deleteDraft(key: string): Promise<void> {
  memory.delete(key);
  if (idbBroken) return;
  try {
    await del(key);
  } catch {
    idbBroken = true;
  }
}
