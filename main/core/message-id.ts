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
import { randomFillSync } from 'node:crypto';

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

/** Murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const derived = Buffer.alloc(16);

/**
 * A deterministic id for an output caused by an input: the same input (`inputDigest`, see the
 * bridge's inbox) and the same output `kind` (its type, subject and index) always give the same id,
 * so an input stepped twice (a redelivery the inbox did not catch, or a second core taking over)
 * publishes outputs whose Nats-Msg-Id JetStream drops as duplicates. Shaped as a UUIDv7 whose
 * 48-bit time is `timeMs` (the input's stream time, which a redelivery keeps): time-ordered keys
 * keep the outbox's index appends cheap, as {@link newMessageId} does.
 *
 * The other 74 bits are the input digest's (SHA-256, computed once per input) with a 62-bit hash
 * of `kind` mixed in — two independent 32-bit multiplicative hashes, not a second SHA-256 per
 * output, which cost ~5 % of the pipeline's CPU. Two outputs of one input collide only if their
 * kinds' 62-bit hashes do (about 2^-62 per pair); outputs of different inputs differ in the
 * digest's 74 random bits.
 */
export function derivedMessageId(inputDigest: Uint8Array, timeMs: number, kind: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x3c6ef372 ^ kind.length;
  for (let i = 0; i < kind.length; i++) {
    const c = kind.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  const d = inputDigest;
  const b = derived;
  b.writeUIntBE(Math.max(0, Math.min(0xffffffffffff, Math.trunc(timeMs))), 0, 6);
  b[6] = 0x70 | ((d[6] as number) & 0x0f);
  b[7] = d[7] as number;
  b[8] = 0x80 | (((d[8] as number) ^ (h1 >>> 24)) & 0x3f);
  b[9] = (d[9] as number) ^ ((h1 >>> 16) & 0xff);
  b[10] = (d[10] as number) ^ ((h1 >>> 8) & 0xff);
  b[11] = (d[11] as number) ^ (h1 & 0xff);
  b[12] = (d[12] as number) ^ (h2 >>> 24);
  b[13] = (d[13] as number) ^ ((h2 >>> 16) & 0xff);
  b[14] = (d[14] as number) ^ ((h2 >>> 8) & 0xff);
  b[15] = (d[15] as number) ^ (h2 & 0xff);
  return `${hex(b, 0, 4)}-${hex(b, 4, 6)}-${hex(b, 6, 8)}-${hex(b, 8, 10)}-${hex(b, 10, 16)}`;
}
