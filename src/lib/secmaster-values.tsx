/**
 * SecMaster's fixed values as page text: a severity or status SecMaster defines is worded in the
 * console's language (src/lib/words.ts); any other value is SecMaster's data, shown as it is and
 * marked `translate="no"`. Exports keep the raw values (they never go through these).
 */
import { inertText } from '../api/format';
import { useT } from '../i18n/i18n';
import { severityLabel, statusLabel } from './words';

function ValueText({ label, value }: { label: string | null; value: string }) {
  return label ?? <span translate="no">{inertText(value)}</span>;
}

/** A severity: "High" / "高危"; a value SecMaster does not define, as data. */
export function SeverityText({ value }: { value: string }) {
  useT();
  return <ValueText label={severityLabel(value)} value={value} />;
}

/** A status: "Closed" / "关闭"; a value SecMaster does not define, as data. */
export function StatusText({ value }: { value: string }) {
  useT();
  return <ValueText label={statusLabel(value)} value={value} />;
}
