/**
 * Keeps the associate form's draft (every field, the pasted text too) per workspace, through the
 * drafts store (IndexedDB, else memory): a reload or a crash does not lose a long paste.
 */
import { z } from 'zod';
import { batchActions, dataclassTypeSchema } from '../../api/schemas';
import { deleteDraft, readDraft, writeDraft } from '../../lib/draft-store';

/** The form's actions: a batch's (associate, cancel), or a move of the IDs to another subject. */
export const formActionSchema = z.enum([...batchActions, 'move']);
export type FormAction = z.infer<typeof formActionSchema>;

export const formDraftSchema = z.object({
  subjectClass: dataclassTypeSchema,
  subjectId: z.string().max(64),
  relatedClass: dataclassTypeSchema,
  relatedIds: z.string(),
  reason: z.string(),
  action: formActionSchema,
  /** The move's destination (same class as the subject); optional, so older drafts still load. */
  destinationId: z.string().max(64).optional(),
  /**
   * The ID column picked in a pasted table (by its header), and the related class it was picked
   * under: it applies while that class is chosen (else the column follows the class). Optional,
   * so drafts saved before it still load.
   */
  idColumn: z.object({ name: z.string().max(200), relatedClass: dataclassTypeSchema }).optional(),
});
export type FormDraft = z.infer<typeof formDraftSchema>;

export function draftKey(projectId: string, workspaceId: string): string {
  return `associate-form:v1:${projectId}:${workspaceId}`;
}

/** The stored draft, or null when there is none or it does not parse (an older shape). */
export async function loadDraft(key: string): Promise<FormDraft | null> {
  const parsed = formDraftSchema.safeParse(await readDraft(key));
  return parsed.success ? parsed.data : null;
}

export async function saveDraft(key: string, draft: FormDraft): Promise<void> {
  await writeDraft(key, draft);
}

export async function clearDraft(key: string): Promise<void> {
  await deleteDraft(key);
}
