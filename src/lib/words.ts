/**
 * The shared words of the interface, in the console's language: item and batch states, data
 * classes, the actions and their batch titles. Plain functions: call them at render (or in a
 * callback), never at module top level, as the language can switch. Module-level tables hold the
 * states and classes; these turn them into words.
 *
 * The API's own words (`itemStateLabels`, `batchStateLabels`, `dataclassLabels` in
 * src/api/schemas.ts) stay as they are: exports and the API speak English with codes.
 */
import type { BatchAction, BatchState, DataclassType, ItemState, severities } from '../api/schemas';
import { t, type MessageKey } from '../i18n/i18n';

const ITEM_STATE_KEYS = {
  pending: 'common.itemPending',
  in_flight: 'common.itemInFlight',
  succeeded: 'common.itemSucceeded',
  unchanged: 'common.itemUnchanged',
  failed: 'common.itemFailed',
  unknown: 'common.itemUnknown',
  invalid: 'common.itemInvalid',
  skipped: 'common.itemSkipped',
} as const satisfies Record<ItemState, MessageKey>;

const BATCH_STATE_KEYS = {
  running: 'common.batchRunning',
  paused: 'common.batchPaused',
  done: 'common.batchDone',
  cancelled: 'common.batchCancelled',
  interrupted: 'common.batchInterrupted',
} as const satisfies Record<BatchState, MessageKey>;

const CLASS_KEYS = {
  alerts: {
    label: 'common.alertsLabel',
    word: 'common.alertsWord',
    singular: 'common.alertWord',
    count: 'common.alertCount',
  },
  incidents: {
    label: 'common.incidentsLabel',
    word: 'common.incidentsWord',
    singular: 'common.incidentWord',
    count: 'common.incidentCount',
  },
  indicators: {
    label: 'common.indicatorsLabel',
    word: 'common.indicatorsWord',
    singular: 'common.indicatorWord',
    count: 'common.indicatorCount',
  },
} as const satisfies Record<
  DataclassType,
  { label: MessageKey; word: MessageKey; singular: MessageKey; count: MessageKey }
>;

/** "Pending", "Sending", "No change"… / "等待中", "发送中", "无变化"… */
export function itemStateWord(state: ItemState): string {
  return t(ITEM_STATE_KEYS[state]);
}

/** "Running", "Paused", "Done", "Stopped", "Interrupted" / "运行中"… */
export function batchStateWord(state: BatchState): string {
  return t(BATCH_STATE_KEYS[state]);
}

/** The class as a label or heading: "Alerts" / "告警". */
export function dataclassLabel(dataclass: DataclassType): string {
  return t(CLASS_KEYS[dataclass].label);
}

/** The class's plural inside a sentence: "alerts" / "告警". */
export function dataclassPlural(dataclass: DataclassType): string {
  return t(CLASS_KEYS[dataclass].word);
}

/** One object of the class: "alert" / "告警". */
export function dataclassSingular(dataclass: DataclassType): string {
  return t(CLASS_KEYS[dataclass].singular);
}

/** "1 alert", "3,000 alerts" / "3,000 条告警". */
export function dataclassCount(dataclass: DataclassType, count: number): string {
  return t(CLASS_KEYS[dataclass].count, { count });
}

/** "Associate" / "Cancel association" (关联 / 取消关联). */
export function actionWord(action: BatchAction): string {
  return t(action === 'associate' ? 'common.actionAssociate' : 'common.actionCancel');
}

/**
 * What a batch does, with its count: "Associate 3,000 alerts", "Cancel association of 12
 * incidents" / "关联 3,000 条告警", "取消关联 12 个事件". `what` is a counted phrase: a class's
 * (`dataclassCount`), or any other (pairs).
 */
export function batchTitle(action: BatchAction, what: string): string {
  return t(action === 'associate' ? 'common.associateTitle' : 'common.cancelTitle', { what });
}

/** "Move 20 alerts" / "移动 20 条告警". */
export function moveTitle(what: string): string {
  return t('common.moveTitle', { what });
}

/**
 * SecMaster's fixed values, worded in the console's language: severities (`Tips`…`Fatal`) and
 * statuses (an alert's or incident's `handle_status` Open/Block/Closed, an indicator's `status`
 * Open/Closed/Revoked). A value outside these sets is SecMaster's data, shown as it is.
 */
type Severity = (typeof severities)[number];

const SEVERITY_KEYS = {
  Tips: 'common.severityTips',
  Low: 'common.severityLow',
  Medium: 'common.severityMedium',
  High: 'common.severityHigh',
  Fatal: 'common.severityFatal',
} as const satisfies Record<Severity, MessageKey>;

const STATUS_KEYS = {
  Open: 'common.statusOpen',
  Block: 'common.statusBlock',
  Closed: 'common.statusClosed',
  Revoked: 'common.statusRevoked',
} as const satisfies Record<string, MessageKey>;

function labelOf<T extends Record<string, MessageKey>>(keys: T, value: string): string | null {
  if (!Object.prototype.hasOwnProperty.call(keys, value)) return null;
  // Every key of these tables names a plain string message.
  return t(keys[value] as 'common.severityTips');
}

/** A severity SecMaster defines, in the console's language ("High" / "高危"); null for another. */
export function severityLabel(severity: string): string | null {
  return labelOf(SEVERITY_KEYS, severity);
}

/** A status SecMaster defines, in the console's language ("Closed" / "关闭"); null for another. */
export function statusLabel(status: string): string | null {
  return labelOf(STATUS_KEYS, status);
}

/** SecMaster's severity in the console's language ("High" / "高危"); another value as it is. */
export function severityWord(severity: string): string {
  return severityLabel(severity) ?? severity;
}

/** SecMaster's status in the console's language ("Open" / "打开"); another value as it is. */
export function statusWord(status: string): string {
  return statusLabel(status) ?? status;
}

/** "1 ID", "2 IDs" / "2 个 ID". */
export function idCount(count: number): string {
  return t('common.idCount', { count });
}
