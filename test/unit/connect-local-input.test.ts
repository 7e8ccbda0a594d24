import { describe, expect, it } from 'vitest';
import { ConnectInputSchema } from '../../main/contract/connection';

describe('connection.connect input', () => {
  it('accepts the local server choice alone', () => {
    expect(ConnectInputSchema.parse({ local: true })).toEqual({ local: true });
    expect(ConnectInputSchema.parse({})).toEqual({});
  });

  it('rejects the local server together with servers or a profile', () => {
    for (const input of [
      { local: true, servers: ['nats://127.0.0.1:4222'] },
      { local: true, profileId: 'p1' },
      { servers: ['nats://127.0.0.1:4222'], profileId: 'p1' }
    ]) {
      const out = ConnectInputSchema.safeParse(input);
      expect(out.success).toBe(false);
      expect(out.error?.issues[0]?.message).toBe('give one of servers, profileId or local');
    }
  });
});
