/**
 * The console's current language and its catalog, held outside React so that any code (hooks,
 * the tab title, notices) translates the same way; components read it through `useT` and re-render
 * when the analyst switches. Catalogs load per language (see load.ts): only the chosen one is
 * fetched.
 */
import { useSyncExternalStore } from 'react';
import type { Catalog, MessageKey } from './catalogs/en';
import { formattersFor, type Formatters } from './format';
import type { Language } from './languages';
import type { ParamsOf, ResultOf } from './messages';

export type { Catalog, MessageKey };

interface State {
  language: Language;
  /** The parts loaded so far (load.ts). */
  catalog: Partial<Catalog>;
  f: Formatters;
}

let state: State | null = null;
const listeners = new Set<() => void>();

/** Installs a loaded catalog as the current language (load.ts and the test setup call this). */
export function setCatalog(language: Language, catalog: Partial<Catalog>): void {
  state = { language, catalog, f: formattersFor(language) };
  if (typeof document !== 'undefined') document.documentElement.lang = language;
  for (const l of listeners) l();
}

function current(): State {
  if (!state) throw new Error('No catalog is loaded yet (main.tsx loads one before rendering).');
  return state;
}

export type Translate = <K extends MessageKey>(
  key: K,
  ...params: ParamsOf<Catalog[K]>
) => ResultOf<Catalog[K]>;

/** The message `key` in the current language. */
export const t: Translate = (key, ...params) => {
  const { catalog, f } = current();
  const message = catalog[key] as unknown;
  // A key of a part not loaded yet (a lazy page always loads its part first): the key itself.
  if (message === undefined) return key as never;
  if (typeof message === 'function') {
    return (message as (p: unknown, f: Formatters) => unknown)(params[0], f) as never;
  }
  return message as never;
};

/** Whether `key` names a message (for codes that arrive from the server). */
export function hasMessage(key: string): key is MessageKey {
  return !!state && Object.prototype.hasOwnProperty.call(state.catalog, key);
}

export function currentLanguage(): Language {
  return current().language;
}

export function currentLanguageOrNull(): Language | null {
  return state?.language ?? null;
}

/** The current language's formatters (numbers, dates, durations, lists). */
export function formatters(): Formatters {
  return state?.f ?? formattersFor('en');
}

/**
 * A text that may be a message key (zod schemas and other module-level code name their messages
 * by key, as the language is not known when they are made): its message, else the text itself.
 */
export function tKey(text: string): string {
  if (!hasMessage(text)) return text;
  const message = current().catalog[text] as unknown;
  return typeof message === 'string' ? message : text;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => current();

/**
 * The current language, its `t` and its formatters; the calling component re-renders when the
 * language changes.
 */
export function useI18n(): { language: Language; t: Translate; f: Formatters } {
  const s = useSyncExternalStore(subscribe, snapshot, snapshot);
  return { language: s.language, t, f: s.f };
}

/** `t` for a component, re-rendering it on a language switch. */
export function useT(): Translate {
  useSyncExternalStore(subscribe, snapshot, snapshot);
  return t;
}
