import { t } from '../i18n/i18n';

/**
 * Copies text. Uses the Clipboard API where the page may (secure context), and falls back to a
 * hidden textarea with `execCommand('copy')` where it is missing (plain-HTTP intranet consoles).
 */
export async function copyText(text: string): Promise<void> {
  if (typeof navigator !== 'undefined' && typeof navigator.clipboard?.writeText === 'function') {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission refused or no user activation: the fallback below may still work.
    }
  }
  const textarea = document.createElement('textarea');
  textarea.value = text;
  textarea.setAttribute('readonly', '');
  textarea.style.position = 'fixed';
  textarea.style.top = '-1000px';
  textarea.style.opacity = '0';
  document.body.appendChild(textarea);
  const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  try {
    textarea.select();
    // execCommand is deprecated but is the only way to copy without the Clipboard API.
    const ok = typeof document.execCommand === 'function' && document.execCommand('copy');
    if (!ok) throw new Error(t('common.copyRefused'));
  } finally {
    textarea.remove();
    previous?.focus();
  }
}
