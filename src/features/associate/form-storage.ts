/**
 * Keeps the associate form's draft (every field, the pasted text too) per workspace in IndexedDB,
 * so a reload or a crash does not lose a long paste. Where IndexedDB is unavailable (jsdom,
 * private modes that refuse it) drafts live in memory for the session.
 */
import { del, get, set } from 'idb-keyval';
import { z } from 'zod';
import { batchActionSchema, dataclassTypeSchema } from '../../api/schemas';

export const formDraftSchema = z.object({
  subjectClass: dataclassTypeSchema,
  subjectId: z.string().max(64),
  relatedClass: dataclassTypeSchema,
  relatedIds: z.string(),
  reason: z.string(),
  action: batchActionSchema,
  /**
   * The ID column picked in a pasted table (by its header), and the related class it was picked
   * under: it applies while that class is chosen (else the column follows the class). Optional,
   * so drafts saved before it still load.
   */
  idColumn: z.object({ name: z.string().max(200), relatedClass: dataclassTypeSchema }).optional(),
});
export type FormDraft = z.infer<typeof formDraftSchema>;

const memory = new Map<string, unknown>();
let idbBroken = false;

export function draftKey(projectId: string, workspaceId: string): string {
  return `associate-form:v1:${projectId}:${workspaceId}`;
}

async function read(key: string): Promise<unknown> {
  if (!idbBroken) {
    try {
      return await get(key);
    } catch {
      idbBroken = true;
    }
  }
  return memory.get(key);
}

/** The stored draft, or null when there is none or it does not parse (an older shape). */
export async function loadDraft(key: string): Promise<FormDraft | null> {
  const parsed = formDraftSchema.safeParse(await read(key));
  return parsed.success ? parsed.data : null;
}

export async function saveDraft(key: string, draft: FormDraft): Promise<void> {
  if (!idbBroken) {
    try {
      await set(key, draft);
      return;
    } catch {
      idbBroken = true;
    }
  }
  memory.set(key, draft);
}

export async function clearDraft(key: string): Promise<void> {
  memory.delete(key);
  if (idbBroken) return;
  try {
    await del(key);
  } catch {
    idbBroken = true;
  }
}
