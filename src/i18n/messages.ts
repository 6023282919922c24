/**
 * The shape of a catalog. A message is a string, or a function of its parameters (and of the
 * language's formatters) for anything with numbers, plurals, dates or names in it. Catalogs are
 * TypeScript: the English one (catalogs/en) defines the keys and each message's parameters, and
 * every other language is typed against it, so `tsc` fails when a translation lacks a key or
 * takes other parameters.
 */
import type { ReactNode } from 'react';
import type { Formatters } from './format';

// `never` parameters: any parameter type is assignable, so each message declares its own.
export type MessageFn = (params: never, f: Formatters) => ReactNode;
export type Message = string | MessageFn;
export type Messages = Record<string, Message>;

/** The parameters a message takes (none for a plain string). */
export type ParamsOf<M> = M extends (params: infer P, f: Formatters) => unknown ? [params: P] : [];
/** What a message renders to: a string, or (for a message made of parts) React nodes. */
export type ResultOf<M> = M extends (...args: never[]) => infer R
  ? R extends string
    ? string
    : R
  : string;

/**
 * What a translation of a catalog area must provide: the same keys, each message taking the same
 * parameters and giving a string where the English one does (any words: the English literal types
 * are widened).
 */
export type Translation<T> = {
  [K in keyof T]: T[K] extends (params: infer P, f: Formatters) => infer R
    ? (params: P, f: Formatters) => R extends string ? string : ReactNode
    : string;
};
