/**
 * When the engine's learning (strategy weights, long-term memory, problems) is written: inside
 * every inbound commit, and at least every {@link LEARNING_COMMIT_TICKS} ticks even when nothing
 * arrives (memory promotion and judged problems happen on ticks too).
 */
import type { ConsciousnessEngine } from '../engine/engine';
import type { EngineStore } from '../engine/store';

/** Learning is committed at least every this many ticks (about 5 s at the default 250 ms). */
export const LEARNING_COMMIT_TICKS = 20;

export class LearningCommits {
  /** A commit is wanted even when the batch is empty. */
  due = false;
  private ticks = 0;
  /** An output changed strategy weights since the last commit. */
  weightsDirty = false;
  /** The engine was rebuilt: problems the database holds open are marked abandoned at the next commit. */
  abandonProblems = false;

  /** Counts a tick; true when learning is due (then a commit should be scheduled). */
  tick(): boolean {
    if (++this.ticks >= LEARNING_COMMIT_TICKS) {
      this.ticks = 0;
      this.due = true;
    }
    return this.due;
  }

  /** The engine was replaced by one built from the database. */
  rebuilt(): void {
    this.weightsDirty = false;
    this.abandonProblems = true;
  }

  /** First thing in a commit: problems of a replaced engine are no longer tracked. */
  abandonIfRebuilt(store: EngineStore): void {
    if (this.abandonProblems) store.abandonOpenProblems();
  }

  /** Writes the learning the engine did since the last commit (inside the commit's transaction). */
  save(engine: ConsciousnessEngine, store: EngineStore): void {
    const memory = engine.takeLongTermChanges();
    const problems = engine.takeProblemChanges();
    const weights = this.weightsDirty ? engine.strategyWeights().filter((w) => w.updatedAt !== null) : [];
    this.weightsDirty = false;
    store.save(weights, memory, problems);
  }
}
