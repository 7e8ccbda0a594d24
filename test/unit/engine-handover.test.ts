/**
 * A new leader continues from the handover of the last one: the open problem is judged by the new
 * engine, focus and service conditions carry over, and the problem ids do not repeat.
 */
import { describe, expect, it } from 'vitest';
import { ConsciousnessEngine } from '../../main/engine/engine';

const health = (service: string, status: 'healthy' | 'unhealthy') => ({
  type: 'service.health.update',
  data: { service, status }
});

describe('engine handover between leaders', () => {
  it('judges the problem the previous engine opened and keeps its focus', () => {
    const first = new ConsciousnessEngine();
    first.step(health('payments', 'healthy'), 1000);
    const opened = first.step(health('payments', 'unhealthy'), 2000);
    const decision = opened.find((e) => e.type === 'consciousness.decision_made');
    expect(decision).toBeDefined();
    const handover = first.handover(2500);
    expect(handover.openProblems).toHaveLength(1);

    const second = new ConsciousnessEngine({}, { weights: first.strategyWeights(), handover });
    expect(second.problems().open.map((p) => p.id)).toEqual(handover.openProblems.map((p) => p.id));
    expect(second.currentFocus()).toBe('payments');
    const recovered = second.step(health('payments', 'healthy'), 3000);
    const learning = recovered.find((e) => e.type === 'consciousness.learning_event');
    expect(learning?.data).toMatchObject({
      kind: 'strategy',
      problem_id: (decision!.data as { problem_id: string }).problem_id,
      success: true
    });
    // No shift to a target it already had in focus.
    expect(recovered.some((e) => e.type === 'consciousness.attention_shift')).toBe(false);

    const next = second.step(health('orders', 'unhealthy'), 4000).find((e) => e.type === 'consciousness.decision_made');
    expect((next!.data as { problem_id: string }).problem_id).not.toBe(
      (decision!.data as { problem_id: string }).problem_id
    );
  });

  it('without a handover the same recovery teaches nothing (the problem is unknown)', () => {
    const fresh = new ConsciousnessEngine();
    const events = fresh.step(health('payments', 'healthy'), 3000);
    expect(events.some((e) => e.type === 'consciousness.learning_event')).toBe(false);
  });
});
