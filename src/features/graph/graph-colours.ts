/**
 * The graph's colours. A node's class is its tint and border, its severity a badge; every text is
 * at least 6:1 against its background (WCAG AA asks 4.5:1), borders at least 6:1 against white.
 * Colour is never the only sign: the class and severity are also written on each node and in its
 * accessible name.
 */
import type { DataclassType } from '../../api/schemas';

export const classColours: Record<DataclassType, { border: string; tint: string }> = {
  alerts: { border: '#1c4fb8', tint: '#e8f0fe' },
  incidents: { border: '#6b21a8', tint: '#f3e8ff' },
  indicators: { border: '#166534', tint: '#e3f5e9' },
};

/** Badge backgrounds (white text) by SecMaster severity, most severe first. */
export const severityColours: Record<string, string> = {
  Fatal: '#7f1d1d',
  High: '#b91c1c',
  Medium: '#a04f00',
  Low: '#0f6b5f',
  Tips: '#475569',
};

/** A severity outside SecMaster's five (or none): an outlined badge. */
export const OTHER_SEVERITY = { text: '#475569', background: '#ffffff' };

export function severityBadgeStyle(severity: string | null): {
  color: string;
  background: string;
  borderColor: string;
} {
  const solid = severity === null ? undefined : severityColours[severity];
  return solid
    ? { color: '#ffffff', background: solid, borderColor: solid }
    : {
        color: OTHER_SEVERITY.text,
        background: OTHER_SEVERITY.background,
        borderColor: OTHER_SEVERITY.text,
      };
}
