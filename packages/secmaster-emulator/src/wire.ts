/** SecMaster's wire-level facts the emulator holds callers to (its own: it shares no code with them). */
import { z } from 'zod';

/** The data classes the emulator serves (and links). */
export const DATACLASS_TYPES = ['alerts', 'incidents', 'indicators'] as const;
export const dataclassTypeSchema = z.enum(DATACLASS_TYPES);
export type DataclassType = z.infer<typeof dataclassTypeSchema>;

/** Most `ids` in one associate or cancel call, and IDs in each list of one batch-create. */
export const MAX_IDS_PER_CALL = 100;
