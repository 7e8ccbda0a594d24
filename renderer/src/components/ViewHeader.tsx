import type { ReactNode } from 'react';

/** The one h1 of a view (focus lands on it after navigation), with optional actions on the right. */
export function ViewHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="view-header">
      <h1 tabIndex={-1}>{title}</h1>
      {children && <div className="view-actions">{children}</div>}
    </header>
  );
}
