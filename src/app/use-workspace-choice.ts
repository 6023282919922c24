import { useCallback, useState } from 'react';

const KEY = 'secmaster-console.workspace';

function readStored(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/**
 * The chosen workspace, kept across reloads. Falls back to the first available workspace when
 * nothing (or a workspace that no longer exists) was chosen.
 */
export function useWorkspaceChoice(
  available: string[] | null,
): [string | null, (id: string) => void] {
  const [chosen, setChosen] = useState<string | null>(readStored);
  const set = useCallback((id: string) => {
    setChosen(id);
    try {
      window.localStorage.setItem(KEY, id);
    } catch {
      // storage unavailable: the choice lasts for this page only
    }
  }, []);
  if (!available) return [chosen, set];
  const effective = chosen && available.includes(chosen) ? chosen : (available[0] ?? null);
  return [effective, set];
}
