/** Re-exports of `server/secmaster/` while importers move there; deleted once none is left. */
export {
  MAX_UPSTREAM_RESPONSE_BYTES,
  UpstreamError,
  UpstreamRequestError,
  createUpstream,
  type CallOptions,
  type Upstream,
  type UpstreamErrorKind,
  type UpstreamOptions,
  type UpstreamResponse,
} from './secmaster/client';
export type { PagingQuery, UpstreamOperation } from './secmaster/operations';
