import { useState } from 'react';
import type { LeadershipView } from '../../../main/contract';
import { useAction, useQuery } from '../client/context';
import { useNotify } from '../lib/notify';
import { ConfirmDialog } from './ConfirmDialog';

const ROLE_LABEL = { active: 'Engine: active here', standby: 'Engine: standby', observer: 'Engine: observer' } as const;

/** Who runs the engine among the workstations: this core's role, the leader, step-down / take-over. */
export function EngineRoleBadge() {
  const query = useQuery('engine.leadership', {}, { refreshMs: 10_000 });
  // engine.leadership pushes are written into this query's cache (client/cache.ts).
  const view: LeadershipView | undefined = query.data;
  const stepDown = useAction('engine.stepDown');
  const takeOver = useAction('engine.takeOver');
  const notify = useNotify();
  const [confirm, setConfirm] = useState<'step-down' | 'take-over' | null>(null);
  if (!view?.self) return null; // a core that takes no part (never the case for run, serve, desktop)
  const { self, leader } = view;
  const tone = self.role === 'active' ? 'ok' : leader ? 'muted' : 'bad';
  const leaderText = leader
    ? self.role === 'active'
      ? `epoch ${leader.epoch}`
      : `led by ${leader.host} (pid ${leader.pid}), epoch ${leader.epoch}`
    : 'no engine is running';
  const run = async (which: 'step-down' | 'take-over') => {
    const result = which === 'step-down' ? await stepDown.run({}) : await takeOver.run({});
    setConfirm(null);
    // A failure shows under the badge (the action's typed error, with what to do next).
    if (result)
      notify(
        which === 'step-down'
          ? `${result.instance} stepped down; a standby takes over within ${self.ttlMs / 1000} s`
          : `taking the engine over from ${result.instance}`
      );
    query.reload();
  };
  const failed = stepDown.error ?? takeOver.error;
  return (
    <div className="engine-role" data-testid="engine-role" data-role={self.role}>
      <span className={`badge badge-${tone}`} role="status" title={`group ${self.group}, instance ${self.instance}`}>
        {ROLE_LABEL[self.role]}
      </span>
      <div className="engine-role-leader muted">{leaderText}</div>
      {failed && (
        <div className="engine-role-error" role="alert">
          {failed.message}
        </div>
      )}
      {self.role === 'active' && (
        <button type="button" onClick={() => setConfirm('step-down')}>
          Step down…
        </button>
      )}
      {self.role === 'standby' && leader && (
        <button type="button" onClick={() => setConfirm('take-over')}>
          Take over…
        </button>
      )}
      {confirm === 'step-down' && (
        <ConfirmDialog
          title="Step down as the active engine?"
          confirmLabel="Step down"
          busy={stepDown.pending}
          onConfirm={() => void run('step-down')}
          onCancel={() => setConfirm(null)}
        >
          This workstation stops consuming and deciding at once; another running core takes over within the lease TTL (
          {self.ttlMs / 1000} s). With no other core running, the engine pauses until this one takes the lease back.
        </ConfirmDialog>
      )}
      {confirm === 'take-over' && leader && (
        <ConfirmDialog
          title="Run the engine on this workstation?"
          confirmLabel="Take over"
          busy={takeOver.pending}
          onConfirm={() => void run('take-over')}
          onCancel={() => setConfirm(null)}
        >
          The engine on {leader.host} (pid {leader.pid}) stops and hands its lease to this workstation, which continues
          from the shared state (learned weights, memory, open problems).
        </ConfirmDialog>
      )}
    </div>
  );
}
