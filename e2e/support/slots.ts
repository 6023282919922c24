/**
 * Which seed objects each test works on (positions in the emulator's deterministic seed), so
 * that no two tests touch the same subject and each test owns its data.
 */
export const SLOTS = {
  /**
   * e2e/language.spec.ts: the journey (link, retry, unlink, undo), the object page and pairs, a
   * move and a stop, in each language, with every page and dialog checked in light and dark.
   */
  inLanguage: {
    'zh-CN': {
      journey: { incident: 130, alerts: [1540, 6] as [number, number], otherIncident: 131 },
      objects: { incident: 100, alerts: [1702, 4] as [number, number] },
      move: { incident: 101, alerts: [1706, 3] as [number, number], destination: 102 },
      stop: { incident: 103 },
    },
    en: {
      journey: { incident: 104, alerts: [1710, 6] as [number, number], otherIncident: 105 },
      objects: { incident: 106, alerts: [1716, 4] as [number, number] },
      move: { incident: 107, alerts: [1720, 3] as [number, number], destination: 108 },
      stop: { incident: 109 },
    },
  },
  journey: { incident: 150, alerts: [1500, 30] as [number, number], otherIncident: 151 },
  cancelBack: { incident: 160, alerts: [1700, 2] as [number, number] },
  history: { alert: 1800, indicators: [300, 3] as [number, number] },
  undo: { incident: 170, alerts: [1900, 5] as [number, number] },
  stop: { incident: 171 },
  a11yForm: { incident: 172 },
  a11yBatch: { incident: 173, alerts: [1950, 5] as [number, number] },
  har: { incident: 174, alerts: [1960, 3] as [number, number] },
  a11yCancelDialog: { incident: 175, alerts: [1970, 2] as [number, number] },
  a11yBatchDialogs: { incident: 176, alerts: [1975, 3] as [number, number] },
  a11yStopDialog: { incident: 177 },
  undoTruth: { incident: 180, alerts: [1980, 8] as [number, number] },
  undoTruthCancel: { incident: 181, alerts: [1990, 8] as [number, number] },
  move: { incident: 185, alerts: [1600, 20] as [number, number], destination: 186 },
  pairs: { incidents: [187, 3] as [number, number], alerts: [1650, 6] as [number, number] },
  iam: { incident: 10, alerts: [10, 3] as [number, number] },
  faults: { incident: 120, alerts: [200, 1000] as [number, number] },
  /** Read only: the first of these incidents with seeded alerts and indicators is pivoted through. */
  objects: { incidents: [190, 10] as [number, number] },
  /** Read only: the first of these alerts with a seeded incident is drawn in the Graph tab. */
  graph: { alerts: [1850, 20] as [number, number] },
  /** The object page by keyboard: 25 alerts linked to this incident (two pages of links). */
  objectsKeyboard: { incident: 179, alerts: [1420, 25] as [number, number] },
  shortcuts: { incident: 165, alerts: [1460, 2] as [number, number] },
  historySearch: { incident: 185, alerts: [1640, 3] as [number, number] },
  /** e2e/names.spec.ts: a batch of 20 whose titles, columns and rows are checked at 1280x720. */
  names: { incident: 143, alerts: [1470, 20] as [number, number] },
  /** The header's running work (e2e/running.spec.ts): a paused batch, then a submit. */
  running: { incident: 178 },
  runningSubmit: { incident: 184, alerts: [1350, 3] as [number, number] },
  /** Layouts at three sizes (e2e/layout.spec.ts): a small batch and a paused one. */
  layout: { incident: 182, alerts: [1360, 3] as [number, number] },
  layoutPaused: { incident: 183 },
} as const;
