import { useCallback, useEffect, useState } from 'react';

/** The operator's choice; `system` follows the OS setting. */
export type ThemeChoice = 'light' | 'dark' | 'system';
export type ResolvedTheme = 'light' | 'dark';

const KEY = 'synos.theme';
const listeners = new Set<() => void>();

function readChoice(): ThemeChoice {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' || stored === 'system' ? stored : 'system';
}

function systemTheme(): ResolvedTheme {
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Puts the chosen theme on <html data-theme> so CSS and charts read the same colours. */
export function applyTheme(choice: ThemeChoice = readChoice()): ResolvedTheme {
  const resolved = choice === 'system' ? systemTheme() : choice;
  document.documentElement.dataset.theme = resolved;
  return resolved;
}

export function setThemeChoice(choice: ThemeChoice): void {
  localStorage.setItem(KEY, choice);
  applyTheme(choice);
  for (const l of listeners) l();
}

/** The theme choice (persisted in localStorage) and the theme in effect, kept current when the OS switches. */
export function useTheme(): { choice: ThemeChoice; resolved: ResolvedTheme; setChoice: (c: ThemeChoice) => void } {
  const [choice, setChoice] = useState<ThemeChoice>(readChoice);
  const [resolved, setResolved] = useState<ResolvedTheme>(() => applyTheme(readChoice()));
  useEffect(() => {
    const refresh = (): void => {
      const c = readChoice();
      setChoice(c);
      setResolved(applyTheme(c));
    };
    listeners.add(refresh);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', refresh);
    return () => {
      listeners.delete(refresh);
      media.removeEventListener('change', refresh);
    };
  }, []);
  return { choice, resolved, setChoice: useCallback((c: ThemeChoice) => setThemeChoice(c), []) };
}
