/**
 * The console's global keys (mounted once by the shell): "/" goes to "Related IDs", "?" opens
 * the dialog "Keyboard shortcuts", Ctrl+Enter (⌘+Enter) with nothing focused submits the page's
 * form. Ctrl+Enter inside a form is the form's own (same confirmations as its submit button).
 * None of them fires while typing in a field, in a dialog, or with the keys taken by a control.
 */
import { ensurePart } from '../i18n/load';
import { Suspense, lazy, useEffect, useEffectEvent, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { paths } from '../lib/paths';
import { PASTE_BOX_ATTRIBUTE, SUBMIT_SHORTCUT_ATTRIBUTE } from '../lib/shortcut-targets';

// Its words are in the catalog's lazily loaded part: they load with it.
const KeyboardShortcutsDialog = lazy(() =>
  Promise.all([import('./keyboard-shortcuts-dialog'), ensurePart('features')]).then(([m]) => m),
);

/** How long "/" waits for the associate page to show the paste box after navigating there. */
const FIND_BOX_MS = 5000;
/** How long the box must keep the focus before "/" stops watching it. */
const HOLD_MS = 500;

function findPasteBox(): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[${PASTE_BOX_ATTRIBUTE}]`);
}

/** True where a key is text being typed (or a control's own key), not a shortcut. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement)
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file'].includes(
      target.type,
    );
  return (
    target.closest('[role="combobox"], [role="listbox"], [role="menu"], [role="grid"]') !== null
  );
}

function inDialog(target: EventTarget | null): boolean {
  return (
    (target instanceof Element &&
      target.closest('[role="dialog"], [aria-modal="true"]') !== null) ||
    document.querySelector('[aria-modal="true"]') !== null
  );
}

export function KeyboardShortcuts() {
  const [opened, setOpened] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const navigate = useNavigate();

  // The watch for the paste box outlives a navigation (which changes `navigate`).
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const focusPasteBox = useEffectEvent(() => {
    const box = findPasteBox();
    if (box) {
      box.focus();
      return;
    }
    // Where focus was when "/" was pressed (a header link keeps it across the navigation): not a
    // move by the analyst.
    const pressedOn = document.activeElement;
    void navigate(paths.home());
    // The page may show the box, then replace it once its workspace and draft are read: the
    // focus is given again while it lands on nothing, until it has stayed in the box a while
    // or the analyst has moved it elsewhere.
    const until = Date.now() + FIND_BOX_MS;
    let heldSince = 0;
    const retry = () => {
      const active = document.activeElement;
      const found = findPasteBox();
      if (found && active === found) heldSince ||= Date.now();
      else if (active && active !== document.body && active !== pressedOn) return;
      else {
        heldSince = 0;
        found?.focus();
      }
      if (heldSince && Date.now() - heldSince > HOLD_MS) return;
      if (Date.now() < until) timer.current = setTimeout(retry, 50);
    };
    clearTimeout(timer.current);
    timer.current = setTimeout(retry, 0);
  });

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.isComposing || event.altKey) return;
      if (inDialog(event.target)) return;
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        // Inside a form the form's own handler decides; here only with nothing focused.
        const active = document.activeElement;
        if (active && active !== document.body) return;
        const form = document.querySelector<HTMLFormElement>(`form[${SUBMIT_SHORTCUT_ATTRIBUTE}]`);
        if (!form || event.repeat) return;
        event.preventDefault();
        form.requestSubmit();
        return;
      }
      if (event.ctrlKey || event.metaKey || typingIn(event.target)) return;
      if (event.key === '/') {
        event.preventDefault();
        focusPasteBox();
      } else if (event.key === '?') {
        event.preventDefault();
        setLoaded(true);
        setOpened(true);
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  if (!loaded) return null;
  return (
    <Suspense fallback={null}>
      <KeyboardShortcutsDialog opened={opened} onClose={() => setOpened(false)} />
    </Suspense>
  );
}
