import { Alert } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { Session } from '../../api/schemas';
import { useT } from '../../i18n/i18n';
import { useRecheckSession } from './queries';

const WARN_BEFORE_MS = 60 * 60_000;
// setTimeout's largest delay; a longer wait is simply re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function parseTime(iso: string | null): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * Warns when the session ends within the hour; once it has ended, re-reads the session so the
 * sign-in gate appears without waiting for a request to be refused.
 */
export function SessionExpiryBanner({ session }: { session: Session }) {
  const t = useT();
  const endsAt = session.authenticated ? parseTime(session.expires_at) : null;
  const [now, setNow] = useState(() => Date.now());
  const recheck = useRecheckSession();
  // Re-read once per end time: a server that still reports the old session must not cause a loop.
  const recheckedFor = useRef<number | null>(null);

  useEffect(() => {
    if (endsAt === null) return;
    const remaining = endsAt - Date.now();
    const nextMoment = remaining > WARN_BEFORE_MS ? remaining - WARN_BEFORE_MS : remaining;
    if (nextMoment <= 0) {
      if (recheckedFor.current !== endsAt) {
        recheckedFor.current = endsAt;
        void recheck();
      }
      return;
    }
    const timer = setTimeout(() => setNow(Date.now()), Math.min(nextMoment, MAX_TIMER_MS));
    return () => clearTimeout(timer);
  }, [endsAt, now, recheck]);

  if (endsAt === null || endsAt - now > WARN_BEFORE_MS) return null;
  return (
    <Alert color="yellow" title={t('auth.endingSoonTitle')} mb="md">
      {t('auth.endingSoon', { time: hhmm(new Date(endsAt)) })}
    </Alert>
  );
}
