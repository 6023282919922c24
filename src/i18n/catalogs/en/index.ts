/**
 * The English catalog: it defines every key of the console's interface and each message's
 * parameters. One file per area of the interface (keys are "<area>.<name>"); other languages are
 * typed against these files, so `tsc` fails when a translation lacks a key or takes other
 * parameters.
 *
 * Two parts per language, each its own chunk: `core` holds what the first page shows (header,
 * sign-in state, errors, shared words) and loads before the first render; `features` holds the
 * pages and panels that load lazily, and loads with them (src/i18n/load.ts).
 */
import type { Translation } from '../../messages';
import type { corePart } from './core';
import type { featuresPart } from './features';

export type CatalogParts = { core: typeof corePart; features: typeof featuresPart };
export type Part = keyof CatalogParts;
/** Every key with its parameters (messages give strings, whatever their English words). */
export type Catalog = Translation<typeof corePart & typeof featuresPart>;
export type MessageKey = keyof Catalog;
