/**
 * The attributes by which the global keyboard shortcuts (src/app/keyboard-shortcuts.tsx) find
 * their targets in the features' markup, so neither side imports the other.
 */

/** On the element "/" focuses: "Related IDs" (its textarea or its editor). */
export const PASTE_BOX_ATTRIBUTE = 'data-paste-box';
/** On a form that Ctrl+Enter (⌘+Enter) submits when nothing has the focus. */
export const SUBMIT_SHORTCUT_ATTRIBUTE = 'data-submit-shortcut';
