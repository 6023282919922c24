import type { BatchState, ItemState } from '../../api/schemas';

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

/** Colour per batch state (its words are `batchStateLabels` in the API contract). */
export const batchStateColors: Record<BatchState, string> = {
  running: 'blue',
  paused: 'yellow',
  done: 'green',
  cancelled: 'gray',
  interrupted: 'red',
};
