/**
 * An OutboundPublisher that keeps what the bridge hands on after a commit (its outbox, in effect),
 * for tests that drive a bridge without the durability area.
 */
import type { OutboundMessage, OutboundPublisher } from '../../main/core/outbound';

export class RecordingPublisher implements OutboundPublisher {
  readonly messages: OutboundMessage[] = [];

  async publish(message: OutboundMessage): Promise<void> {
    this.messages.push(message);
  }

  async publishMany(messages: OutboundMessage[]): Promise<void> {
    this.messages.push(...messages);
  }

  /** The decisions made for `target` (their envelopes), in order. */
  decisionsFor(target: string): Array<{ data: { target: string } }> {
    return this.decisionMessagesFor(target).map((m) => envelopeOf(m));
  }

  /** The ids (Nats-Msg-Id) of the decisions made for `target`. */
  decisionIdsFor(target: string): string[] {
    return this.decisionMessagesFor(target).map((m) => m.id);
  }

  private decisionMessagesFor(target: string): OutboundMessage[] {
    return this.messages
      .filter((m) => m.subject === 'consciousness.decision_made')
      .filter((m) => envelopeOf(m).data.target === target);
  }
}

function envelopeOf(m: OutboundMessage): { data: { target: string } } {
  return JSON.parse(new TextDecoder().decode(m.payload)) as { data: { target: string } };
}
