/**
 * The core's parts start in order and stop in reverse; a part that fails to start stops the parts
 * started before it (in reverse) and its own error reaches the caller.
 */
import { describe, expect, it } from 'vitest';
import { Lifecycle, type LifecyclePart } from '../../main/app/lifecycle';

function parts(names: string[], log: string[], failStart: string | null = null, failStop: string | null = null) {
  return names.map((name): LifecyclePart => ({
    name,
    async start() {
      await Promise.resolve();
      if (name === failStart) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    stop() {
      if (name === failStop) throw new Error(`${name} cannot stop`);
      log.push(`stop ${name}`);
    }
  }));
}

describe('Lifecycle', () => {
  it('starts in order and stops in reverse, once', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle(parts(['db', 'outbox', 'bridge', 'monitoring'], log));
    await lifecycle.start();
    await lifecycle.start();
    expect(lifecycle.startedParts()).toEqual(['db', 'outbox', 'bridge', 'monitoring']);
    await lifecycle.stop();
    await lifecycle.stop();
    expect(log).toEqual([
      'start db',
      'start outbox',
      'start bridge',
      'start monitoring',
      'stop monitoring',
      'stop bridge',
      'stop outbox',
      'stop db'
    ]);
  });

  it('stops what already started, in reverse, when a part fails to start, and throws that part’s error', async () => {
    const log: string[] = [];
    const failures: string[] = [];
    const lifecycle = new Lifecycle(parts(['db', 'outbox', 'bridge', 'monitoring'], log, 'bridge'), {
      onStartFailure: (part) => failures.push(part.name)
    });
    await expect(lifecycle.start()).rejects.toThrow('bridge cannot start');
    expect(failures).toEqual(['bridge']);
    expect(log).toEqual(['start db', 'start outbox', 'stop outbox', 'stop db']);
    expect(lifecycle.startedParts()).toEqual([]);
    // Nothing is left to stop, and the failed part's successors never started.
    await lifecycle.stop();
    expect(log).toEqual(['start db', 'start outbox', 'stop outbox', 'stop db']);
  });

  it('keeps stopping the others when one fails to stop, and reports it', async () => {
    const log: string[] = [];
    const reported: string[] = [];
    const lifecycle = new Lifecycle(parts(['a', 'b', 'c'], log, null, 'b'), {
      onStopFailure: (part, error) => reported.push(`${part.name}: ${(error as Error).message}`)
    });
    await lifecycle.start();
    await lifecycle.stop();
    expect(log.slice(3)).toEqual(['stop c', 'stop a']);
    expect(reported).toEqual(['b: b cannot stop']);
  });

  it('counts a tolerated start failure as started (a read-only database skips its start-up writes)', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle(parts(['a', 'b', 'c'], log, 'b'), {
      tolerateStartFailure: (part) => part.name === 'b'
    });
    await lifecycle.start();
    expect(lifecycle.startedParts()).toEqual(['a', 'b', 'c']);
    await lifecycle.stop();
    expect(log).toEqual(['start a', 'start c', 'stop c', 'stop b', 'stop a']);
  });
});
