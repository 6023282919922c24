/**
 * The optional browser notification when work ends: off unless the analyst turns it on (and the
 * browser allows it); shown only while the console's tab is hidden (a visible tab has the in-app
 * notice). The choice is kept in localStorage.
 */
const KEY = 'secmaster-console.browser-notifications';

/** The browser can show notifications at all (not in every context, e.g. plain http elsewhere). */
export function browserNoticesSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** The analyst asked for them and the browser allows them. */
export function browserNoticesOn(): boolean {
  if (!browserNoticesSupported()) return false;
  try {
    return window.localStorage.getItem(KEY) === 'on' && Notification.permission === 'granted';
  } catch {
    return false;
  }
}

/**
 * Turns them on (asking the browser's permission when it has not been given) or off; answers
 * whether they are on afterwards.
 */
export async function setBrowserNotices(on: boolean): Promise<boolean> {
  try {
    if (!on) {
      window.localStorage.removeItem(KEY);
      return false;
    }
    if (!browserNoticesSupported()) return false;
    const permission =
      Notification.permission === 'default'
        ? await Notification.requestPermission()
        : Notification.permission;
    if (permission !== 'granted') return false;
    window.localStorage.setItem(KEY, 'on');
    return true;
  } catch {
    return false;
  }
}

/** Shows one when they are on and the tab is hidden; a click brings the tab back and opens `open`. */
export function showBrowserNotice(
  title: string,
  body: string,
  tag: string,
  open: () => void,
): void {
  if (!browserNoticesOn() || document.visibilityState !== 'hidden') return;
  try {
    const notice = new Notification(title, { body, tag });
    notice.onclick = () => {
      window.focus();
      open();
      notice.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker: the in-app notice remains.
  }
}
