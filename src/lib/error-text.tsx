/**
 * Errors and per-ID messages as page text: the words in the console's language, with what is data
 * (a code, a request ID, a text shown as sent) marked `translate="no"`.
 */
import { errorParts } from '../api/client';
import { inertText } from '../api/format';
import { useT } from '../i18n/i18n';
import { itemMessage } from './item-message';

/** `describeError(error)` as page text (its code, request ID and any text as sent untranslated). */
export function ErrorText({ error }: { error: unknown }) {
  const t = useT();
  const p = errorParts(error);
  return (
    <>
      {p.asSent ? <span translate="no">{p.text}</span> : p.text}
      {p.code && (
        <>
          {' '}
          <span translate="no">{t('errors.code', { code: p.code })}</span>
        </>
      )}
      {p.requestId && (
        <>
          {' '}
          {t('errors.requestId')} <span translate="no">{p.requestId}</span>
        </>
      )}
    </>
  );
}

/** An item's message (`itemMessage`) as page text; SecMaster's own words marked as data. */
export function ItemMessage({ code, message }: { code: string | null; message: string | null }) {
  useT();
  const m = itemMessage(code, message);
  return (
    <>
      {inertText(m.words)}
      {m.words && m.asSent ? ' ' : ''}
      {m.asSent && <span translate="no">{inertText(m.asSent)}</span>}
    </>
  );
}
