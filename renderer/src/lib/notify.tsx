import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { ErrorShape } from '../../../main/contract';

export interface Toast {
  id: number;
  text: string;
  error?: ErrorShape;
}

const NotifyContext = createContext<(text: string, error?: ErrorShape) => void>(() => undefined);

/** Short-lived outcome messages of actions run from anywhere (palette, buttons), in a polite live region. */
export function NotifyProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const notify = useCallback((text: string, error?: ErrorShape) => {
    setToasts((list) => [...list.slice(-3), { id: Date.now() + Math.random(), text, error }]);
  }, []);
  useEffect(() => {
    if (toasts.length === 0) return;
    const timer = setTimeout(() => setToasts((list) => list.slice(1)), 6000);
    return () => clearTimeout(timer);
  }, [toasts]);
  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={t.error ? 'toast toast-bad' : 'toast'}>
            {t.text}
            {t.error && (
              <span className="mono">
                {' '}
                {t.error.code}: {t.error.message}
              </span>
            )}
          </div>
        ))}
      </div>
    </NotifyContext.Provider>
  );
}

export function useNotify(): (text: string, error?: ErrorShape) => void {
  return useContext(NotifyContext);
}
