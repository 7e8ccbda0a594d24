import type { ReactNode } from 'react';

/** An empty list or view: says what is (not) there and what the operator can do about it. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId ?? 'empty-state'}>
      <strong>{title}</strong>
      {children && <div className="empty-next">{children}</div>}
    </div>
  );
}
