/// <reference lib="webworker" />
/** Parses large pastes off the main thread. Message in: {id, text, opts}; out: {id, result}. */
import { parseIds, type ParseOptions, type ParseResult } from './parse-ids';

export interface ParseRequest {
  id: number;
  text: string;
  opts: ParseOptions;
}

export interface ParseResponse {
  id: number;
  result: ParseResult;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<ParseRequest>) => {
  const { id, text, opts } = event.data;
  const response: ParseResponse = { id, result: parseIds(text, opts) };
  scope.postMessage(response);
};
