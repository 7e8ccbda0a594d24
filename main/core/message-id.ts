/**
 * Ids for the messages this app publishes: envelope id = outbox row id = Nats-Msg-Id.
 *
 * They are UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then a 12-bit counter that keeps
 * ids of the same millisecond in order (method 1 of §6.2, seeded at random each millisecond), then
 * 62 random bits. Time-ordered keys matter for the outbox: random UUIDv4 keys land all over the
 * primary-key index, so each group commit rewrote hundreds of index pages; UUIDv7 keys append at
 * the right edge (a few pages per commit). `npm run bench:durability` shows the difference.
 *
 * The ids stay valid UUIDs for anyone consuming the events (CloudEvents only asks for uniqueness
 * per source).
 */
import { createHash, randomFillSync } from 'node:crypto';

const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let poolIndex = POOL_IDS;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -1;
let counter = 0;

function hex(bytes: Buffer, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += HEX[bytes[i] as number];
  return out;
}

/** A new UUIDv7, later than (sorting after) every id this process made before. */
export function newMessageId(now: number = Date.now()): string {
  if (poolIndex === POOL_IDS) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  const off = 16 * poolIndex++;
  let ms = now;
  if (ms > lastMs) {
    lastMs = ms;
    // Start low in the 12-bit space so a burst within one millisecond has room to count up.
    counter = (pool[off + 6] as number) & 0x1ff;
  } else {
    // Same millisecond (or the clock stepped back): keep counting; on overflow borrow the next ms.
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      ms = lastMs;
      counter = 0;
    }
  }
  const b = pool.subarray(off, off + 16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (counter >>> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  return `${hex(b, 0, 4)}-${hex(b, 4, 6)}-${hex(b, 6, 8)}-${hex(b, 8, 10)}-${hex(b, 10, 16)}`;
}

/** The millisecond timestamp inside a UUIDv7 made by {@link newMessageId}, or null for other ids. */
export function messageIdTime(id: string): number | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) return null;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * A deterministic id for an output caused by an input: the same input (`inputDigest`, see the
 * bridge's inbox) and the same output `kind` (its type, subject and index) always give the same id,
 * so an input stepped twice (a redelivery the inbox did not catch, or a second core taking over)
 * publishes outputs whose Nats-Msg-Id JetStream drops as duplicates. Shaped as a UUIDv7 whose
 * 48-bit time is `timeMs` (the input's stream time, which a redelivery keeps) and whose other 74
 * bits come from SHA-256 of the input and the kind: time-ordered keys keep the outbox's index
 * appends cheap, as {@link newMessageId} does.
 */
export function derivedMessageId(inputDigest: Uint8Array, timeMs: number, kind: string): string {
  const b = createHash('sha256').update(inputDigest).update('\0').update(kind).digest();
  b.writeUIntBE(Math.max(0, Math.min(0xffffffffffff, Math.trunc(timeMs))), 0, 6);
  b[6] = 0x70 | ((b[6] as number) & 0x0f);
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  return `${hex(b, 0, 4)}-${hex(b, 4, 6)}-${hex(b, 6, 8)}-${hex(b, 8, 10)}-${hex(b, 10, 16)}`;
}
