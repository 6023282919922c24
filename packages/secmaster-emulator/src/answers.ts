/**
 * SecMaster's answers as a client reads them (lenient: unknown keys pass), for the package's tests:
 * every answer the tests look at goes through these shapes. They follow the documented API; the
 * console checks the emulator against its own copy (server/emulator-contract.test.ts).
 */
import { z } from 'zod';

const UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID, any case. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

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
