/**
 * What the UI makes of a batch's and an item's state: the words and colours it shows for them, and
 * what a batch in a given state may still do. Every feature asks here instead of comparing states
 * itself, so that "active", "settled" and "controllable" mean the same everywhere.
 */
import { batchStateLabels, itemStateLabels, type BatchState, type ItemState } from '../api/schemas';

/** The words, which are part of the API contract. */
export { batchStateLabels, itemStateLabels };

/** Colour per batch state (the History's badges and a batch's header alike). */
export const batchStateColors: Record<BatchState, string> = {
  running: 'blue',
  paused: 'yellow',
  done: 'green',
  cancelled: 'gray',
  interrupted: 'red',
};

/**
 * Colour per item state: used for the badges, the stacked bar and the table's state words alike.
 * "No change" is violet: calm, and far from Succeeded's green for every kind of colour vision.
 * With the theme's shades its words read at 5.4:1 on its light badge and 7.1:1 on white (6.8:1 on
 * the table stripe) in the light scheme, 8.4:1 on its badge and 6.4:1 on the body (5.6:1 on the
 * stripe) in the dark one (WCAG AA asks 4.5:1).
 */
export const itemStateColors: Record<ItemState, string> = {
  pending: 'blue',
  in_flight: 'blue',
  succeeded: 'green',
  unchanged: 'violet',
  failed: 'red',
  unknown: 'orange',
  invalid: 'gray',
  skipped: 'gray',
};

/**
 * Running or paused: the batch is not over, and its counts may still move (on their own, or once
 * it is resumed). Such a batch is polled, shows its progress, and cannot be retried or undone yet.
 * An unknown state (not read yet) is not active.
 */
export function isBatchActive(state: BatchState | undefined): boolean {
  return state === 'running' || state === 'paused';
}

/**
 * Known and not active (done, stopped or interrupted): nothing changes until someone acts, so its
 * final outcomes can be read.
 */
export function isBatchSettled(state: BatchState | undefined): boolean {
  return state !== undefined && !isBatchActive(state);
}

/** A user can pause it: it is running. */
export function canPauseBatch(state: BatchState): boolean {
  return state === 'running';
}

/** A user can resume it: it is paused, or was interrupted (resuming sends what it had not sent). */
export function canResumeBatch(state: BatchState): boolean {
  return state === 'paused' || state === 'interrupted';
}

/** A user can still pause, resume or stop it: running, paused or interrupted. */
export function isBatchControllable(state: BatchState): boolean {
  return canPauseBatch(state) || canResumeBatch(state);
}
