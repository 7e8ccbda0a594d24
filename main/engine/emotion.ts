/**
 * The engine's emotion: valence, arousal, confidence and curiosity, each relaxing toward its
 * baseline with a half-life; moved by alarms, recoveries, novelty and judged outcomes.
 */
import type { EngineConfig } from './config';
import { clamp, halfLifeFactor } from './math';
import type { ProblemOutcome } from './types';

export interface Feelings {
  valence: number;
  arousal: number;
  confidence: number;
  curiosity: number;
}

export class Emotion {
  /** As of {@link at} (null: never relaxed yet). */
  current: Feelings;
  at: number | null = null;

  constructor(private readonly config: EngineConfig['emotion']) {
    this.current = { ...config.baseline };
  }

  /** The emotion at `t`, relaxed from {@link at} toward the baseline. */
  valueAt(t: number): Feelings {
    const f = halfLifeFactor(t - (this.at ?? t), this.config.halfLifeMs);
    const b = this.config.baseline;
    const e = this.current;
    return {
      valence: b.valence + (e.valence - b.valence) * f,
      arousal: b.arousal + (e.arousal - b.arousal) * f,
      confidence: b.confidence + (e.confidence - b.confidence) * f,
      curiosity: b.curiosity + (e.curiosity - b.curiosity) * f
    };
  }

  relax(t: number): void {
    if (this.at !== null && t > this.at) this.current = this.valueAt(t);
    this.at = t;
  }

  /** Continues from the emotion the last leader left at `at`. */
  takeOver(feelings: Feelings, at: number): void {
    this.current = { ...feelings };
    this.at = at;
  }

  /** Curiosity rises for something never seen before. */
  novelty(): void {
    this.current.curiosity = clamp(this.current.curiosity + this.config.noveltyCuriosity, 0, 1);
  }

  alarm(): void {
    const e = this.config;
    this.current.valence = clamp(this.current.valence + e.alarmValence, -1, 1);
    this.current.arousal = clamp(this.current.arousal + e.alarmArousal, 0, 1);
  }

  recovery(): void {
    this.current.valence = clamp(this.current.valence + this.config.recoveryValence, -1, 1);
  }

  /** Confidence follows judged outcomes. */
  judged(outcome: ProblemOutcome): void {
    const delta = this.config.outcomeConfidence;
    this.current.confidence = clamp(this.current.confidence + (outcome === 'success' ? delta : -delta), 0, 1);
  }
}
