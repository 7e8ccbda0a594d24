/**
 * The narrow seam between the bridge and the leader lease (main/leadership): the bridge owns this
 * interface and acts only while its gate is open; the lease implements it. Keeping the interface
 * here lets the bridge stay below the leadership room (docs/architecture.md §1).
 */
export type EngineRole = 'active' | 'standby' | 'observer';

export interface LeaseChange {
  role: EngineRole;
  epoch: number | null;
  reason: string;
}

export interface LeadershipGate {
  /** True only while this core holds an unexpired lease; checked before every output. */
  isActive(): boolean;
  /** The current term's epoch (fencing token), null when not leading. */
  epoch(): number | null;
  currentRole(): EngineRole;
  onChange(listener: (change: LeaseChange) => void): () => void;
}

/** The header every engine output carries next to the envelope's `synosepoch`. */
export const EPOCH_HEADER = 'Synos-Epoch';

/** What the leadership room offers the bridge module: a link that puts a bridge behind the lease. */
export interface BridgeLeadershipLink {
  start(): void;
  stop(): Promise<void>;
}

/**
 * The bridge's side of the seam: with a gate, inbound consumption and engine outputs happen only
 * while it is open (set once the shared state is loaded) and the lease is unexpired. Without one
 * (a single core, tests) this core always leads.
 */
export class GateLatch {
  private gate: LeadershipGate | null = null;
  private open = true;

  /** True while this core may consume the inbound durables and publish engine outputs. */
  get leading(): boolean {
    return this.gate === null || (this.open && this.gate.isActive());
  }

  /** Puts the bridge behind `gate`; closed until {@link setOpen}. */
  use(gate: LeadershipGate): void {
    this.gate = gate;
    this.open = false;
  }

  setOpen(open: boolean): void {
    this.open = open;
  }

  /** The current term's epoch, null without a gate or when not leading. */
  epoch(): number | null {
    return this.gate?.epoch() ?? null;
  }
}
