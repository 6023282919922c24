/**
 * Parses the paste box as the analyst types: small input synchronously (deferred, so typing
 * stays responsive), large input in a Web Worker after a pause. Where Worker is missing (jsdom,
 * old browsers) large input is parsed synchronously after the same pause.
 */
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { emptyParseResult, parseIds, type ParseOptions, type ParseResult } from './parse-ids';
import type { ParseRequest, ParseResponse } from './parse-ids.worker';

/** Above this many characters, parsing leaves the main thread. */
export const WORKER_THRESHOLD = 200_000;
const LARGE_DEBOUNCE_MS = 250;

interface Source extends ParseOptions {
  text: string;
}

export interface ParsedIds {
  result: ParseResult;
  /** True while the shown result is older than the text. */
  pending: boolean;
}

function createWorker(): Worker | null {
  if (typeof Worker === 'undefined') return null;
  try {
    return new Worker(new URL('./parse-ids.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return null;
  }
}

/** One empty result for every render, so consumers can compare results by identity. */
const NOTHING_PARSED = emptyParseResult();

export function useParsedIds(text: string, opts: ParseOptions): ParsedIds {
  const { projectId, workspaceId, subjectId, relatedClass, idColumn } = opts;
  const deferredText = useDeferredValue(text);
  const large = deferredText.length > WORKER_THRESHOLD;

  const small = useMemo(
    () =>
      large
        ? null
        : parseIds(deferredText, { projectId, workspaceId, subjectId, relatedClass, idColumn }),
    [large, deferredText, projectId, workspaceId, subjectId, relatedClass, idColumn],
  );

  // What a large result was parsed from. Compared field by field: building one key string would
  // copy the whole text (megabytes) on every render.
  const [largeState, setLargeState] = useState<{ source: Source; result: ParseResult } | null>(
    null,
  );
  const workerRef = useRef<Worker | null | undefined>(undefined);
  const requestIdRef = useRef(0);

  useEffect(() => {
    if (!large) return;
    const source: Source = {
      text: deferredText,
      projectId,
      workspaceId,
      subjectId,
      relatedClass,
      idColumn,
    };
    const timer = setTimeout(() => {
      if (workerRef.current === undefined) workerRef.current = createWorker();
      const worker = workerRef.current;
      const id = ++requestIdRef.current;
      const request: ParseRequest = {
        id,
        text: deferredText,
        opts: { projectId, workspaceId, subjectId, relatedClass, idColumn },
      };
      if (!worker) {
        setLargeState({ source, result: parseIds(request.text, request.opts) });
        return;
      }
      worker.onmessage = (event: MessageEvent<ParseResponse>) => {
        // Only the answer to the latest request counts.
        if (event.data.id === requestIdRef.current)
          setLargeState({ source, result: event.data.result });
      };
      worker.onerror = () => {
        worker.terminate();
        workerRef.current = null;
        setLargeState({ source, result: parseIds(request.text, request.opts) });
      };
      worker.postMessage(request);
    }, LARGE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [large, deferredText, projectId, workspaceId, subjectId, relatedClass, idColumn]);

  useEffect(
    () => () => {
      workerRef.current?.terminate();
      workerRef.current = undefined;
    },
    [],
  );

  if (small) return { result: small, pending: deferredText !== text };
  const source = largeState?.source;
  const upToDate =
    source !== undefined &&
    source.text === deferredText &&
    source.projectId === projectId &&
    source.workspaceId === workspaceId &&
    source.subjectId === subjectId &&
    source.relatedClass === relatedClass &&
    source.idColumn === idColumn;
  return {
    result: largeState?.result ?? NOTHING_PARSED,
    pending: !upToDate || deferredText !== text,
  };
}
