/**
 * The zod contract of the SecMaster wire format, the console's own API, and the ID rule.
 * Pure (zod only): the SPA and the server both import it.
 * Lenient with what upstream sends (unknown keys pass), strict with what users send.
 */
import { z } from 'zod';

// The console's CSP forbids eval, so zod must not probe for it: its JIT compiles object parsers
// with `new Function` when it can, and the probe alone reports a CSP violation on every page.
// This runs before any schema below is built (and every module that builds schemas imports this
// one, so it runs first there too).
z.config({ jitless: true });

// ---------------------------------------------------------------------------
// The ID rule (the API's documented rule: 32 to 64 letters, digits, '-' and '_')
// ---------------------------------------------------------------------------

export const ID_MIN_LENGTH = 32;
export const ID_MAX_LENGTH = 64;
export const ID_PATTERN = /^[A-Za-z0-9_-]{32,64}$/;
const UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Largest number of IDs one batch may carry. */
export const MAX_BATCH_IDS = 100_000;
/** Largest number of IDs SecMaster accepts in one associate/cancel call. */
export const MAX_IDS_PER_CALL = 100;
/** Longest single token accepted in a batch's `ids` (longer ones are a 400, not an invalid item). */
export const MAX_TOKEN_LENGTH = 1024;

export function isWellFormedId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** The key used to de-duplicate IDs: UUIDs compare case-insensitively, other IDs exactly. */
export function idKey(value: string): string {
  return isUuid(value) ? value.toLowerCase() : value;
}

const HEX_GROUPS = /^[0-9a-fA-F]+(?:-[0-9a-fA-F]+){2,4}$/;
const UUID_SHAPE = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{1,16}$/i;

/**
 * Why a well-formed ID (by the API's rule) is still a malformed UUID, or null: hex groups joined by
 * `-` with the wrong lengths (a truncated or extended UUID, e.g. 8-4-4-4-9), or 8-4-4-4-n groups
 * with a letter past `f` (a typo). The paste parser lists these as invalid; the server records
 * them as invalid too, so SecMaster never receives them.
 */
export function malformedUuidReason(value: string): string | null {
  if (isUuid(value)) return null;
  if (UUID_SHAPE.test(value)) {
    const bad = /[g-z]/i.exec(value)?.[0];
    if (bad !== undefined) return `not a UUID: "${bad}" is not a hexadecimal digit`;
  }
  if (HEX_GROUPS.test(value)) {
    const groups = value.split('-');
    if (groups.filter((g) => g.length >= 4).length >= 2)
      return `not a UUID: groups of ${groups.map((g) => g.length).join('-')} characters (a UUID has 8-4-4-4-12)`;
  }
  return null;
}

/**
 * The one form an ID is sent, recorded and compared in: a UUID-shaped ID in lower case (SecMaster
 * stores them so: an upper-case copy of an existing alert's ID is "not found"), any other ID as is.
 */
export function canonicalId(value: string): string {
  return idKey(value);
}

export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 32 to 64 letters, digits, "-" or "_"');

export const dataclassTypes = ['alerts', 'incidents', 'indicators'] as const;
export const dataclassTypeSchema = z.enum(dataclassTypes);
export type DataclassType = z.infer<typeof dataclassTypeSchema>;

export const dataclassLabels: Record<DataclassType, { plural: string; singular: string }> = {
  alerts: { plural: 'Alerts', singular: 'alert' },
  incidents: { plural: 'Incidents', singular: 'incident' },
  indicators: { plural: 'Indicators', singular: 'indicator' },
};

// ---------------------------------------------------------------------------
// SecMaster wire format
// ---------------------------------------------------------------------------

/** `code` arrives as a string ("00000000") or a number (0): accept both, keep a string. */
export const secmasterCodeSchema = z.union([z.string(), z.number()]).transform((v) => String(v));

export const batchOperateResultSchema = z.looseObject({
  success_ids: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  error_ids: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
});

/** Answer to associate (POST) and cancel association (DELETE). */
export const relationWriteResponseSchema = z.looseObject({
  code: secmasterCodeSchema.nullish(),
  message: z.string().nullish(),
  request_id: z.string().nullish(),
  success: z.boolean().nullish(),
  total: z.number().nullish(),
  limit: z.number().nullish(),
  offset: z.number().nullish(),
  data: batchOperateResultSchema.nullish(),
});
export type RelationWriteResponse = z.infer<typeof relationWriteResponseSchema>;

/** SecMaster's own error body. */
export const secmasterErrorSchema = z.looseObject({
  code: secmasterCodeSchema,
  message: z.string().nullish(),
  request_id: z.string().nullish(),
});

/** The API gateway's error body (authentication, signatures, throttling: APIG.*). */
export const gatewayErrorSchema = z.looseObject({
  error_code: z.string(),
  error_msg: z.string().nullish(),
  request_id: z.string().nullish(),
});

/** Reads either error shape into one: `{code, message, request_id}`. */
export function parseUpstreamError(
  body: unknown,
): { code: string; message: string; request_id: string | null } | null {
  const gw = gatewayErrorSchema.safeParse(body);
  if (gw.success) {
    return {
      code: gw.data.error_code,
      message: gw.data.error_msg ?? '',
      request_id: gw.data.request_id ?? null,
    };
  }
  const sm = secmasterErrorSchema.safeParse(body);
  if (sm.success) {
    return {
      code: sm.data.code,
      message: sm.data.message ?? '',
      request_id: sm.data.request_id ?? null,
    };
  }
  return null;
}

export const severities = ['Tips', 'Low', 'Medium', 'High', 'Fatal'] as const;

/** The class-specific object inside a search/show answer (alert, incident or indicator). */
export const dataObjectSchema = z.looseObject({
  id: z.string(),
  title: z.string().nullish(),
  name: z.string().nullish(),
  value: z.string().nullish(),
  severity: z.string().nullish(),
  handle_status: z.string().nullish(),
  status: z.string().nullish(),
  verdict: z.string().nullish(),
  create_time: z.string().nullish(),
  update_time: z.string().nullish(),
});
export type DataObject = z.infer<typeof dataObjectSchema>;

export const dataclassRefSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
});

/** `DataObjectDetail` / `ListAlertDetail` / `IncidentDetail` / `IndicatorDetail`. */
export const dataObjectDetailSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  data_object: dataObjectSchema,
  dataclass_ref: dataclassRefSchema.nullish(),
  create_time: z.string().nullish(),
  update_time: z.string().nullish(),
  project_id: z.string().nullish(),
  workspace_id: z.string().nullish(),
});
export type DataObjectDetail = z.infer<typeof dataObjectDetailSchema>;

/** Search answers: alerts, incidents, indicators and list-associated-objects. Both paging styles. */
export const searchResponseSchema = z.looseObject({
  code: secmasterCodeSchema.nullish(),
  message: z.string().nullish(),
  total: z.number().nullish(),
  size: z.number().nullish(),
  page: z.number().nullish(),
  limit: z.number().nullish(),
  offset: z.number().nullish(),
  success: z.boolean().nullish(),
  data: z
    .array(dataObjectDetailSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const showResponseSchema = z.looseObject({
  code: secmasterCodeSchema.nullish(),
  message: z.string().nullish(),
  success: z.boolean().nullish(),
  data: dataObjectDetailSchema,
});

export const searchConditionSchema = z.looseObject({
  name: z.string(),
  data: z.array(z.string()),
});

/** `DataobjectSearch` (and the indicator variant: `condition` is required there). */
export const dataobjectSearchSchema = z.looseObject({
  limit: z.number().int().min(0).optional(),
  offset: z.number().int().min(0).optional(),
  sort_by: z.string().optional(),
  order: z.enum(['ASC', 'DESC']).optional(),
  from_date: z.string().optional(),
  to_date: z.string().optional(),
  condition: z
    .looseObject({
      conditions: z.array(searchConditionSchema).optional(),
      logics: z.array(z.string()).optional(),
    })
    .optional(),
});
export type DataobjectSearch = z.infer<typeof dataobjectSearchSchema>;

/**
 * The search body that selects exactly these IDs (at most MAX_IDS_PER_CALL): `["id", "in",
 * "a,b,…"]`. The server's pre-reads and the SPA's title reads alike.
 */
export function idsSearchBody(ids: readonly string[]) {
  return {
    limit: MAX_IDS_PER_CALL,
    offset: 0,
    condition: {
      conditions: [{ name: 'ids', data: ['id', 'in', ids.join(',')] }],
      logics: ['ids'],
    },
  } satisfies DataobjectSearch;
}

export const workspaceSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  project_id: z.string().nullish(),
  create_time: z.string().nullish(),
});
export type Workspace = z.infer<typeof workspaceSchema>;

export const workspaceListResponseSchema = z.looseObject({
  workspaces: z.array(workspaceSchema),
  count: z.number().nullish(),
});

export const dataclassSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  business_code: z.string().nullish(),
  description: z.string().nullish(),
  is_built_in: z.boolean().nullish(),
});

export const dataclassListResponseSchema = z.looseObject({
  dataclass_details: z.array(dataclassSchema),
  total: z.number().nullish(),
});

// ---------------------------------------------------------------------------
// The console's own API (/api)
// ---------------------------------------------------------------------------

export const batchActions = ['associate', 'cancel'] as const;
export const batchActionSchema = z.enum(batchActions);
export type BatchAction = z.infer<typeof batchActionSchema>;

export const itemStates = [
  'pending',
  'in_flight',
  'succeeded',
  'unchanged',
  'failed',
  'unknown',
  'invalid',
  'skipped',
] as const;
export const itemStateSchema = z.enum(itemStates);
export type ItemState = z.infer<typeof itemStateSchema>;

/**
 * The words the UI shows for each item state. `succeeded` means this batch changed the link;
 * `unchanged` ("No change") means the ID was already in the asked state before the batch sent
 * anything (already linked, or was not linked) and was not sent.
 */
export const itemStateLabels: Record<ItemState, string> = {
  pending: 'Pending',
  in_flight: 'Sending',
  succeeded: 'Succeeded',
  unchanged: 'No change',
  failed: 'Failed',
  unknown: 'Unknown',
  invalid: 'Invalid',
  skipped: 'Skipped',
};

export const batchStates = ['running', 'paused', 'done', 'cancelled', 'interrupted'] as const;
export const batchStateSchema = z.enum(batchStates);
export type BatchState = z.infer<typeof batchStateSchema>;

/**
 * The words the UI shows for each batch state. `cancelled` (stopped by a user) reads "Stopped", so
 * that a stopped "Cancel association" batch never reads as if the unlink had been cancelled.
 */
export const batchStateLabels: Record<BatchState, string> = {
  running: 'Running',
  paused: 'Paused',
  done: 'Done',
  cancelled: 'Stopped',
  interrupted: 'Interrupted',
};

/** Item codes of `unchanged` items, with their messages. */
export const UNCHANGED_ALREADY_LINKED = { code: 'ALREADY_LINKED', message: 'already linked' };
export const UNCHANGED_NOT_LINKED = { code: 'NOT_LINKED', message: 'was not linked' };

/**
 * Failure codes that a retry cannot change (the ID does not exist in the workspace, or is of
 * another class): a retry leaves them out unless asked (`include_permanent`).
 */
export const PERMANENT_FAILURE_CODES: readonly string[] = ['NOT_FOUND', 'WRONG_CLASS'];

export const createBatchRequestSchema = z.strictObject({
  action: batchActionSchema,
  workspace_id: idSchema,
  dataclass_type: dataclassTypeSchema,
  data_object_id: idSchema,
  related_dataclass_type: dataclassTypeSchema,
  ids: z
    .array(z.string().max(MAX_TOKEN_LENGTH, `an ID is longer than ${MAX_TOKEN_LENGTH} characters`))
    .min(1, 'at least one ID is required')
    .max(MAX_BATCH_IDS, `at most ${MAX_BATCH_IDS} IDs per batch`),
  reason: z.string().max(1000).optional(),
  retry_of: z.uuid().optional(),
});
export type CreateBatchRequest = z.infer<typeof createBatchRequestSchema>;

export const itemCountsSchema = z.object({
  pending: z.number(),
  in_flight: z.number(),
  succeeded: z.number(),
  /** Absent from servers that did not read before writing: none recorded. */
  unchanged: z.number().default(0),
  failed: z.number(),
  unknown: z.number(),
  invalid: z.number(),
  skipped: z.number(),
});
export type ItemCounts = z.infer<typeof itemCountsSchema>;

/** Zero for every item state. */
export function emptyItemCounts(): ItemCounts {
  return Object.fromEntries(itemStates.map((state) => [state, 0])) as ItemCounts;
}

/**
 * What a row of the history is: an ordinary batch, a batch of pairs (a group of one batch per
 * subject), or a move (a group of two batches: link to the destination, then unlink from the
 * source).
 */
export const batchKinds = ['batch', 'pairs', 'move'] as const;
export const batchKindSchema = z.enum(batchKinds);
export type BatchKind = z.infer<typeof batchKindSchema>;

export const batchPaceSchema = z.object({
  calls_per_s: z.number(),
  limit: z.number().nullable(),
});
export type BatchPace = z.infer<typeof batchPaceSchema>;

export const batchSummarySchema = z.looseObject({
  id: z.string(),
  /** Absent from servers that predate groups (and then an ordinary batch): see `batchKindOf`. */
  kind: batchKindSchema.optional(),
  /** On a child batch of a group: the group's ID. */
  group_id: z.string().nullish(),
  /**
   * On a child batch of a group: the group's kind (`pairs` or `move`). A move's batch is not
   * retried or undone on its own (the server answers 409): the move is.
   */
  group_kind: batchKindSchema.nullish(),
  /**
   * A move (kind `move`) may carry no action of its own, or a word of its own: it reads as the
   * link it makes. Its own summary is `moveSummarySchema`.
   */
  action: batchActionSchema.catch('associate'),
  state: batchStateSchema,
  state_reason: z.string().nullable(),
  workspace_id: z.string(),
  dataclass_type: dataclassTypeSchema,
  data_object_id: z.string(),
  related_dataclass_type: dataclassTypeSchema,
  reason: z.string().nullable(),
  user: z.string(),
  retry_of: z.string().nullable(),
  /** The batch this one undoes (absent from servers that predate undo). */
  undo_of: z.string().nullable().optional(),
  /** The batch that undid this one (a batch is undone once), or null. */
  undone_by: z.string().nullable().optional(),
  /** Where the batch's credential came from: env-aksk, env-token or session:<user>. */
  credential_source: z.string().nullable().optional(),
  total: z.number(),
  duplicates: z.number(),
  counts: itemCountsSchema,
  /**
   * True when the runner read each call's IDs before writing (IDs already in the asked state are
   * `unchanged`), so `succeeded` means "changed by this batch". False for batches recorded before
   * the console did: their `succeeded` IDs may include IDs that were already in that state.
   */
  changes_recorded: z.boolean().default(false),
  /** A batch of pairs (kind `pairs`): how many subjects its pairs name. */
  subjects: z.number().optional(),
  /** A batch of pairs: pairs whose subject was malformed (listed in its items as invalid). */
  invalid_pairs: z.number().optional(),
  /** A move (kind `move`): the subject the IDs move to (`data_object_id` is the source). */
  destination_id: z.string().nullish(),
  /**
   * While the batch runs paced: the calls/s its credential uses now and the rate limit learned
   * from SecMaster (or configured), "18.9 of 20 calls/s"; null (or absent) otherwise.
   */
  pace: batchPaceSchema.nullish(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type BatchSummary = z.infer<typeof batchSummarySchema>;

/** What a summary is: an ordinary batch unless it says otherwise. */
export function batchKindOf(batch: Pick<BatchSummary, 'kind'>): BatchKind {
  return batch.kind ?? 'batch';
}

export const batchItemSchema = z.object({
  id: z.string(),
  state: itemStateSchema,
  code: z.string().nullable(),
  message: z.string().nullable(),
  request_id: z.string().nullable(),
  attempts: z.number(),
  /** The subject the ID is linked to or unlinked from (always there for a batch of pairs). */
  data_object_id: z.string().nullish(),
  /** A batch of pairs: the child batch (one per subject) that holds the item. */
  batch_id: z.string().nullish(),
});
export type BatchItem = z.infer<typeof batchItemSchema>;

export const MAX_ITEMS_PAGE = 1000;

export const batchItemsPageSchema = z.object({
  items: z.array(batchItemSchema),
  total: z.number(),
  offset: z.number(),
  limit: z.number(),
});
export type BatchItemsPage = z.infer<typeof batchItemsPageSchema>;

export const batchListSchema = z.object({
  items: z.array(batchSummarySchema),
  total: z.number(),
  offset: z.number(),
  limit: z.number(),
});

/** `GET /api/batches/{id}/undo-preview`: what an undo would do, checked against the links now. */
export const undoPreviewSchema = z.looseObject({
  /** IDs the undo batch would carry and revert (the batch's succeeded IDs: the ones it changed). */
  ids: z.number(),
  undo_action: batchActionSchema.optional(),
  /** IDs the batch left as they were (`unchanged`): the undo leaves them as they are. */
  unchanged: z.number().optional(),
  /** IDs whose current link no longer matches what the batch did. */
  changed: z.array(z.string()),
  /**
   * False for a batch recorded before the console tracked what each batch changed: its succeeded
   * IDs may include links that existed before it, and an undo would revert those too.
   */
  changes_recorded: z.boolean().optional(),
  checked_at: z.string(),
});
export type UndoPreview = z.infer<typeof undoPreviewSchema>;

/** `POST /api/batches/{id}/undo` body (may be empty). */
export const undoRequestSchema = z.strictObject({
  /**
   * Required (true) to undo a batch recorded before the console tracked what each batch changed
   * (`changes_recorded: false`): its succeeded IDs may include links that were already so.
   */
  include_unrecorded: z.boolean().optional(),
});
export type UndoRequest = z.infer<typeof undoRequestSchema>;

/** `POST /api/batches/{id}/retry` body. */
export const retryRequestSchema = z.strictObject({
  /** Also retry permanent failures (not found, wrong class); default false. */
  include_permanent: z.boolean().optional(),
});
export type RetryRequest = z.infer<typeof retryRequestSchema>;

/**
 * `GET /api/batches/{id}/retry-preview`: what a retry would include and leave out. Failures are
 * split by cause: `failed` (transient or unexplained: may pass on a retry) and `permanent` (not
 * found, wrong class: only with `include_permanent`).
 */
export const retryPreviewSchema = z.looseObject({
  failed: z.number(),
  unknown: z.number(),
  skipped: z.number(),
  permanent: z.number(),
  /** IDs a retry would carry by default (failed + unknown + skipped). */
  ids: z.number(),
});
export type RetryPreview = z.infer<typeof retryPreviewSchema>;

/**
 * `POST /api/checks`: before submitting, which of these IDs are linked to the subject now, and
 * which do not exist as the related class in the workspace (read-only; nothing is written).
 */
export const linkCheckRequestSchema = z.strictObject({
  workspace_id: idSchema,
  dataclass_type: dataclassTypeSchema,
  data_object_id: idSchema,
  related_dataclass_type: dataclassTypeSchema,
  ids: z
    .array(idSchema)
    .min(1, 'at least one ID is required')
    .max(MAX_BATCH_IDS, `at most ${MAX_BATCH_IDS} IDs per check`),
});
export type LinkCheckRequest = z.infer<typeof linkCheckRequestSchema>;

export const linkCheckSchema = z.looseObject({
  /** Distinct IDs checked. */
  checked: z.number(),
  /** Linked to the subject now (as sent). */
  linked: z.array(z.string()),
  /** Not linked, and not found as the related class in this workspace (as sent). */
  not_found: z.array(z.string()),
  checked_at: z.string(),
});
export type LinkCheck = z.infer<typeof linkCheckSchema>;

export type BatchExportFormat = 'csv' | 'json';

export const consoleConfigSchema = z.looseObject({
  mode: z.enum(['emulator', 'secmaster']),
  projectId: z.string(),
  endpoint: z.string(),
  region: z.string().nullable(),
  /** Who the console acts for; absent or null while nobody is signed in. */
  user: z.string().nullish(),
  maxBatchIds: z.number(),
  maxIdsPerCall: z.number(),
  signInRequired: z.boolean().optional(),
  signInMethods: z.array(z.string()).optional(),
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export const signInMethods = ['access-token', 'iam'] as const;
export const signInMethodSchema = z.enum(signInMethods);
export type SignInMethod = z.infer<typeof signInMethodSchema>;

/** `GET /api/session`: who is signed in, until when, and how one signs in. */
export const sessionSchema = z.looseObject({
  authenticated: z.boolean(),
  user: z.string().nullable(),
  method: z.string(),
  expires_at: z.string().nullable(),
  sign_in_required: z.boolean(),
  // Methods this UI does not know (a newer server) are left out rather than failing the page.
  sign_in_methods: z
    .array(z.string())
    .transform((ms) =>
      ms.filter((m): m is SignInMethod => signInMethodSchema.safeParse(m).success),
    ),
  region: z.string().nullable(),
});
export type Session = z.infer<typeof sessionSchema>;

/** `POST /api/session` body. */
export const signInRequestSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('access-token'), token: z.string().min(1) }),
  z.object({
    method: z.literal('iam'),
    user: z.string().min(1),
    password: z.string().min(1),
    account: z.string().min(1),
    region: z.string().min(1),
  }),
]);
export type SignInRequest = z.infer<typeof signInRequestSchema>;

/** Error body of the console's own API. */
export const apiErrorBodySchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
  request_id: z.string().nullish(),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;

// ---------------------------------------------------------------------------
// UI contracts shared by features (composed by the app shell)
// ---------------------------------------------------------------------------

/** The subject the analyst works on: one object, and the class of the objects to link to it. */
export const subjectSelectionSchema = z.object({
  dataclass_type: dataclassTypeSchema,
  data_object_id: idSchema,
  related_dataclass_type: dataclassTypeSchema,
});
export type SubjectSelection = z.infer<typeof subjectSelectionSchema>;

// ---------------------------------------------------------------------------
// Groups: moves and batches of pairs
// ---------------------------------------------------------------------------

/** Largest number of pairs one batch of pairs may carry. */
export const MAX_BATCH_PAIRS = 100_000;
/**
 * Largest number of subjects in one batch of pairs: each subject is a batch of its own whose every
 * state change also updates the group, so the work of following a group grows with its subjects.
 */
export const MAX_PAIRS_SUBJECTS = 2_000;

/** One pair of a batch of pairs: link (or unlink) `id` with the subject `data_object_id`. */
export interface SubjectPair {
  data_object_id: string;
  id: string;
}

/** `POST /api/batches` with pairs instead of one subject and its IDs. */
export interface CreatePairsRequest {
  action: BatchAction;
  workspace_id: string;
  dataclass_type: DataclassType;
  related_dataclass_type: DataclassType;
  pairs: SubjectPair[];
  reason?: string;
}

/** `POST /api/moves`: move `ids` from the subject `source_id` to `destination_id`. */
export interface CreateMoveRequest {
  workspace_id: string;
  dataclass_type: DataclassType;
  source_id: string;
  destination_id: string;
  related_dataclass_type: DataclassType;
  ids: string[];
  reason?: string;
}

/**
 * What a move did with each ID: `moved` (linked to the destination and removed from the source),
 * `already_at_destination` (it was linked there already; removed from the source),
 * `kept_at_source` (not linked to the destination, so left at the source; or linked there but not
 * removed from the source because that failed, the move was stopped first, or its outcome is
 * unknown: the message says which), `invalid`, `pending`.
 */
export const moveResults = [
  'pending',
  'moved',
  'already_at_destination',
  'kept_at_source',
  'invalid',
] as const;
export const moveResultSchema = z.enum(moveResults);
export type MoveResult = z.infer<typeof moveResultSchema>;

export const moveResultLabels: Record<MoveResult, string> = {
  pending: 'Pending',
  moved: 'Moved',
  already_at_destination: 'Already at destination',
  kept_at_source: 'Kept at source',
  invalid: 'Invalid',
};

const count = z.number().default(0);

export const moveResultCountsSchema = z.looseObject({
  pending: count,
  moved: count,
  already_at_destination: count,
  kept_at_source: count,
  invalid: count,
});
export type MoveResultCounts = z.infer<typeof moveResultCountsSchema>;

/** `GET /api/moves/{id}` (and `POST /api/moves`, `/undo`, `/stop`). */
export const moveSummarySchema = z.looseObject({
  kind: z.literal('move').default('move'),
  id: z.string(),
  state: batchStateSchema,
  state_reason: z.string().nullish(),
  workspace_id: z.string(),
  dataclass_type: dataclassTypeSchema,
  source_id: z.string(),
  destination_id: z.string(),
  related_dataclass_type: dataclassTypeSchema,
  reason: z.string().nullish(),
  user: z.string().nullish(),
  retry_of: z.string().nullish(),
  undo_of: z.string().nullish(),
  undone_by: z.string().nullish(),
  total: z.number(),
  duplicates: z.number().default(0),
  created_at: z.string(),
  finished_at: z.string().nullish(),
  /** The child batch linking the IDs with the destination (phase 1). */
  link_batch_id: z.string().nullish(),
  /** The child batch removing them from the source (phase 2); null until it exists. */
  unlink_batch_id: z.string().nullish(),
  counts: itemCountsSchema,
  results: moveResultCountsSchema,
});
export type MoveSummary = z.infer<typeof moveSummarySchema>;

export const moveItemSchema = z.looseObject({
  id: z.string(),
  result: moveResultSchema,
  message: z.string().nullish(),
  /** The ID's state in the link batch and in the unlink batch (null when it has none there). */
  link_state: itemStateSchema.nullish().catch(null),
  unlink_state: itemStateSchema.nullish().catch(null),
});
export type MoveItem = z.infer<typeof moveItemSchema>;

export const moveItemsPageSchema = z.object({
  items: z.array(moveItemSchema),
  total: z.number(),
  offset: z.number(),
  limit: z.number(),
});
export type MoveItemsPage = z.infer<typeof moveItemsPageSchema>;
