import type { BatchState, ItemState } from '../../api/schemas';

/** Colour per item state: used for the badges and the stacked bar alike. */
export const itemStateColors: Record<ItemState, string> = {
  pending: 'blue',
  in_flight: 'blue',
  succeeded: 'green',
  failed: 'red',
  unknown: 'orange',
  invalid: 'gray',
  skipped: 'gray',
};

export const batchStateColors: Record<BatchState, string> = {
  running: 'blue',
  paused: 'yellow',
  done: 'green',
  cancelled: 'gray',
  interrupted: 'red',
};

export const batchStateLabels: Record<BatchState, string> = {
  running: 'Running',
  paused: 'Paused',
  done: 'Done',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};
