/**
 * The console session: who is signed in, signing in and out, and the reaction to a request the
 * server refused because the session ended.
 */
import { queryOptions, useMutation, useQueryClient, type Query } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import { z } from 'zod';
import { ApiError, request } from '../../api/client';
import { sessionSchema, type Session, type SignInRequest } from '../../api/schemas';

const sessionKey = ['session'] as const;

/** What a console server without sign-in (one from before `/api/session` existed) amounts to. */
const noSignInSession: Session = {
  authenticated: false,
  user: null,
  method: 'none',
  expires_at: null,
  sign_in_required: false,
  sign_in_methods: [],
  region: null,
};

export const sessionQueries = {
  current: () =>
    queryOptions({
      queryKey: sessionKey,
      queryFn: async ({ signal }) => {
        try {
          return await request('/api/session', sessionSchema, { signal });
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return noSignInSession;
          throw err;
        }
      },
      staleTime: 5 * 60_000,
    }),
};

/** True for the server's answer to a request made without a valid session. */
export function isSignInRequired(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401 && err.code === 'SIGN_IN_REQUIRED';
}

function isNotSession(query: Query): boolean {
  return query.queryKey[0] !== sessionKey[0];
}

/** The gate's question: must the user sign in before seeing the console? */
export function mustSignIn(session: Session): boolean {
  return session.sign_in_required && !session.authenticated;
}

/**
 * Re-reads the session whenever any request is refused with SIGN_IN_REQUIRED, so the sign-in gate
 * appears as soon as the server has ended the session (expiry, sign-out in another tab).
 */
export function useSignInRequiredWatch(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const recheck = () =>
      void queryClient.invalidateQueries({ queryKey: sessionKey }, { cancelRefetch: false });
    const offQueries = queryClient.getQueryCache().subscribe((event) => {
      if (
        event.type === 'updated' &&
        event.action.type === 'error' &&
        isNotSession(event.query) &&
        isSignInRequired(event.action.error)
      ) {
        recheck();
      }
    });
    const offMutations = queryClient.getMutationCache().subscribe((event) => {
      if (
        event.type === 'updated' &&
        event.action.type === 'error' &&
        isSignInRequired(event.action.error)
      ) {
        recheck();
      }
    });
    return () => {
      offQueries();
      offMutations();
    };
  }, [queryClient]);
}

/** Re-reads the session (e.g. when its end time has passed); resolves once it is read. */
export function useRecheckSession(): () => Promise<void> {
  const queryClient = useQueryClient();
  return useCallback(() => queryClient.invalidateQueries({ queryKey: sessionKey }), [queryClient]);
}

/** Signs in; on success the session goes into the cache and everything else is read afresh. */
export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SignInRequest) =>
      request('/api/session', sessionSchema, { method: 'POST', body }),
    // The variables hold the secret: drop them as soon as the form is gone.
    gcTime: 0,
    onSuccess: (session) => {
      queryClient.setQueryData(sessionKey, session);
      return queryClient.invalidateQueries({ predicate: isNotSession });
    },
  });
}

/** Signs out; the gate comes back and nothing read as the previous user stays cached. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => request('/api/session', z.undefined(), { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: sessionKey });
      queryClient.removeQueries({ predicate: isNotSession });
    },
  });
}
