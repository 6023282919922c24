/**
 * Loads a language's catalog and makes it current; remembers the analyst's choice. Each language
 * is split in two chunks (catalogs/en/index.ts): the `core` part loads before the first render,
 * the `features` part with the first lazily loaded page or panel (lazy-features.ts asks for it).
 * An analyst reading English never downloads the Chinese words, and the first page carries only
 * the words it shows.
 */
import type { Catalog, Part } from './catalogs/en';
import { currentLanguageOrNull, setCatalog } from './i18n';
import { rememberLanguage, storedLanguage, type Language } from './languages';

type PartLoader = () => Promise<Partial<Catalog>>;

const loaders: Record<Language, Record<Part, PartLoader>> = {
  en: {
    core: () => import('./catalogs/en/core').then((m) => m.corePart),
    features: () => import('./catalogs/en/features').then((m) => m.featuresPart),
  },
  'zh-CN': {
    core: () => import('./catalogs/zh-CN/core').then((m) => m.corePart),
    features: () => import('./catalogs/zh-CN/features').then((m) => m.featuresPart),
  },
};

/** The parts some code has asked for (a switch loads all of them in the new language). */
const wanted = new Set<Part>(['core']);
const loading = new Map<string, Promise<Partial<Catalog>>>();
const resolved = new Map<string, Partial<Catalog>>();
/** The language being shown or switched to (the last one asked for wins). */
let target: Language | null = null;
/** What is installed now ("zh-CN:core+features"), so that asking again re-renders nothing. */
let installed = '';

function part(language: Language, which: Part): Promise<Partial<Catalog>> {
  const key = `${language}:${which}`;
  let p = loading.get(key);
  if (!p) {
    p = loaders[language][which]().then((messages) => {
      resolved.set(key, messages);
      return messages;
    });
    // A failed load (network) is tried again the next time.
    p.catch(() => loading.delete(key));
    loading.set(key, p);
  }
  return p;
}

async function install(language: Language): Promise<void> {
  target = language;
  try {
    await Promise.all([...wanted].map((w) => part(language, w)));
  } catch (err) {
    // This language could not load: unless another was asked for meanwhile, the one shown stays
    // the one every later load uses (a failed switch must not come back with the next page).
    if (target === language) target = currentLanguageOrNull();
    throw err;
  }
  // Another switch began meanwhile: it installs its own language.
  if (target !== language) return;
  // Every part of this language loaded so far (a part asked for meanwhile included).
  const names = [...wanted].filter((w) => resolved.has(`${language}:${w}`)).sort();
  const installing = `${language}:${names.join('+')}`;
  if (installing === installed) return;
  installed = installing;
  const parts = names.map((w) => resolved.get(`${language}:${w}`));
  setCatalog(language, Object.assign({}, ...parts) as Partial<Catalog>);
}

/** Loads the language's parts wanted so far and makes it current. */
export function loadLanguage(language: Language): Promise<void> {
  return install(language);
}

/**
 * Makes sure `which` is loaded in the current language (lazy pages call this as they load). Ends
 * only once it is installed: if a switch supersedes the load it started, it follows the switch.
 */
export async function ensurePart(which: Part): Promise<void> {
  wanted.add(which);
  for (;;) {
    const language = target ?? currentLanguageOrNull() ?? storedLanguage();
    await install(language);
    // Not superseded: the part is in. Superseded by a switch: follow it (its install loads every
    // wanted part, this one included). A loop only while switches keep coming.
    if (target === null || target === language) return;
  }
}

/** The analyst's switch: load, show, remember. */
export async function switchLanguage(language: Language): Promise<void> {
  await install(language);
  rememberLanguage(language);
}
