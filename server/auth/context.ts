/**
 * Which credential an upstream call uses, carried by AsyncLocalStorage: the request middleware
 * enters the caller's context, and a batch started (or resumed) by that request keeps it for its
 * whole run, since every await in the runner continues in the context it started in. The routing
 * upstream reads it on every call, so /v1 reads and a batch's writes go out with the credential of
 * the session that asked for them (ASVS 8.3.3: access follows the originating user).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createUpstream,
  type Upstream,
  type UpstreamOptions,
  type UpstreamResponse,
} from '../secmaster/client';
import type { Session, SessionStore } from './sessions';

/** `env-aksk`, `env-token`, `session:<user>`, or `none` (IAM sign-in mode, no IAM session). */
export interface CallContext {
  source: string;
  /** The IAM session whose token is used, or null for the environment's credentials. */
  sessionId: string | null;
}

export const callContext = new AsyncLocalStorage<CallContext>();

/** The current context (outside any request: the environment's credentials). */
export function currentCallContext(): CallContext | undefined {
  return callContext.getStore();
}

export const SIGN_IN_TO_RESUME = 'sign in to resume';

/** What a call without a usable credential answers: a 401 the runner treats as "stop, keep pending". */
function signInRequired(message: string): UpstreamResponse {
  return {
    status: 401,
    requestId: null,
    body: { error_code: 'SIGN_IN_REQUIRED', error_msg: message },
    retryAfter: null,
  };
}

/**
 * An Upstream that picks the credential per call: the context's IAM session token, else the
 * environment's credentials. Nothing is sent when the session has ended or there is no credential.
 */
export function createRoutingUpstream(
  options: Omit<UpstreamOptions, 'credentials' | 'authToken'> & {
    credentials: UpstreamOptions['credentials'];
  },
  sessions: SessionStore,
): Upstream {
  const fallback = options.credentials ? createUpstream(options) : null;
  const perSession = new WeakMap<Session, Upstream>();
  const upstreamOf = (s: Session): Upstream | null => {
    if (!s.iam) return null;
    let u = perSession.get(s);
    if (!u) {
      u = createUpstream({
        ...options,
        projectId: s.iam.projectId,
        credentials: s.iam.credentials,
      });
      perSession.set(s, u);
    }
    return u;
  };
  return {
    call(operation, opts) {
      const ctx = callContext.getStore();
      if (ctx?.sessionId) {
        const session = sessions.forCalls(ctx.sessionId);
        const u = session ? upstreamOf(session) : null;
        if (!u) {
          return Promise.resolve(
            signInRequired(
              `the IAM sign-in behind this work expired or ended: ${SIGN_IN_TO_RESUME}`,
            ),
          );
        }
        return u.call(operation, opts);
      }
      if (ctx?.source === 'none' || !fallback) {
        return Promise.resolve(signInRequired(`no SecMaster credential: ${SIGN_IN_TO_RESUME}`));
      }
      return fallback.call(operation, opts);
    },
    pathOf(operation) {
      const ctx = callContext.getStore();
      const session = ctx?.sessionId ? sessions.forCalls(ctx.sessionId) : null;
      const u = (session ? upstreamOf(session) : null) ?? fallback;
      if (!u) throw new Error('no upstream credential in this context');
      return u.pathOf(operation);
    },
  };
}
