/**
 * The lint rule that keeps the service locator out (docs/architecture.md §1a): a by-name lookup
 * of another area's part fails `npm run lint`; typed parameters pass.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleHits(code: string, filePath = 'main/recordings/example.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('the no-service-locator lint rule', () => {
  // ESLint's first run loads the TypeScript parser and the config: seconds on a busy machine, more
  // than a test's default 5 s, so it happens here, under the hooks' longer limit.
  beforeAll(async () => {
    await ruleHits('export {};');
  }, 60_000);

  it.each([
    ["export const f = (ctx: { services: Map<string, unknown> }) => ctx.services.get('outbox');"],
    [
      "export class A { constructor(private readonly ctx: { services: Map<string, unknown> }) {} b() { return this.ctx.services.has('bridge'); } }"
    ],
    ["export const g = (core: { context: { services: Map<string, unknown> } }) => core.context.services.get('x');"],
    ["export const OUTBOX_SERVICE = 'outbox';"],
    ['export function getService<T>(name: string): T { return name as T; }'],
    ['export interface CoreContext { services: Map<string, unknown> }']
  ])('refuses %s', async (code) => {
    const hits = await ruleHits(code);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]).toMatch(/No service registry/);
  });

  it('lets typed parameters, and unrelated maps named services, through', async () => {
    expect(
      await ruleHits(
        "export function createX(ctx: { logger: unknown }, deps: { outbox: { stats(): number } }) { const services = new Map<string, number>(); services.set('a', deps.outbox.stats()); return { ctx, services }; }"
      )
    ).toEqual([]);
  });
});
