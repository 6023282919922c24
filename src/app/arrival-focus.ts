/**
 * After a submit creates a batch or move, the page that shows it takes focus to its heading and
 * scrolls it into view (the form may have left the page scrolled far down). The creating code
 * navigates with `newWorkState`; the shell runs `useArrivalFocus`, which waits for the heading
 * (the page may still be loading its chunk) and focuses it once per navigation.
 *
 * The heading is the element marked `data-arrival-focus`, or on a page with no mark (the move's
 * page) the first level-2 heading of `main`.
 */
import { useEffect } from 'react';
import { useLocation } from 'react-router';

/** Navigation state that asks for the focus move (`navigate(path, { state: newWorkState })`). */
export const newWorkState = { focusNewWork: true } as const;

/** The attribute that marks the heading to focus. */
export const ARRIVAL_FOCUS = 'data-arrival-focus';

/** Navigations already served (by `location.key`), so that going back does not refocus. */
const served = new Set<string>();

function wantsFocus(state: unknown): boolean {
  return typeof state === 'object' && state !== null && 'focusNewWork' in state;
}

function findTarget(main: Element): HTMLElement | null {
  return (
    main.querySelector<HTMLElement>(`[${ARRIVAL_FOCUS}]`) ?? main.querySelector<HTMLElement>('h2')
  );
}

export function useArrivalFocus(): void {
  const { key, state } = useLocation();
  const wanted = wantsFocus(state) && !served.has(key);
  useEffect(() => {
    const main = document.querySelector('main');
    if (!wanted || !main) return;
    const focus = (): boolean => {
      const target = findTarget(main);
      if (!target) return false;
      served.add(key);
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: 'start' });
      return true;
    };
    if (focus()) return;
    const observer = new MutationObserver(() => {
      if (focus()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [key, wanted]);
}
