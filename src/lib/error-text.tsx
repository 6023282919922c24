/**
 * Errors and per-ID messages as page text: the words in the console's language, with what is data
 * (a code, a request ID, a text shown as sent) marked `translate="no"`.
 */
import { errorParts } from '../api/client';
import { inertText } from '../api/format';
import { useT } from '../i18n/i18n';
import { itemMessage, type ItemMessageParts } from './item-message';

/**
 * The server's own words after the console's (where the console's words leave them out): data,
 * in English, as the server wrote them.
 */
function Detail({ detail }: { detail: string | null }) {
  const t = useT();
  if (!detail) return null;
  return (
    <>
      {' '}
      {t('errors.detailLabel')}
      <span translate="no" lang="en">
        {inertText(detail)}
      </span>
    </>
  );
}

/**
 * `describeError(error)` as page text (its code, request ID and any text as sent untranslated).
 * `wordsOnly`: the words and the server's detail alone, for an answer that is an outcome rather
 * than a failure (its code and request ID would only be noise there).
 */
export function ErrorText({ error, wordsOnly = false }: { error: unknown; wordsOnly?: boolean }) {
  const t = useT();
  const p = errorParts(error);
  if (wordsOnly)
    return (
      <>
        {p.asSent ? <span translate="no">{p.text}</span> : p.text}
        <Detail detail={p.detail} />
      </>
    );
  return (
    <>
      {p.asSent ? <span translate="no">{p.text}</span> : p.text}
      <Detail detail={p.detail} />
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
  return <ItemMessageWords parts={itemMessage(code, message)} />;
}

/** A message already in parts (`itemMessage`) as page text. */
export function ItemMessageWords({ parts: m }: { parts: ItemMessageParts }) {
  return (
    <>
      {inertText(m.words)}
      {m.words && m.asSent ? ' ' : ''}
      {m.asSent && <span translate="no">{inertText(m.asSent)}</span>}
      <Detail detail={m.detail} />
    </>
  );
}
