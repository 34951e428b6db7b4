import { describe, expect, it } from 'vitest';
import { runHostileCampaign } from './campaign.ts';

// The soak report's hostile-input campaign, run small: every surface is tried, nothing crashes,
// what is refused is refused with a code, and memory stays bounded.
describe('hostile-input campaign', () => {
  it('runs N fuzzed inputs per surface against one hub: no crash, coded refusals, bounded RSS', async () => {
    const n = 40;
    const lines: string[] = [];
    const results = await runHostileCampaign({ perSurface: n, seed: 77, progress: (l) => lines.push(l) });
    expect(lines).toHaveLength(8);
    console.log(`campaign (n=${n}): ${JSON.stringify(results)}`);
    expect(results.map((r) => r.surface)).toEqual(['mqtt', 'http', 'csv', 'images']);
    for (const r of results) {
      expect(r.tried, r.surface).toBe(n);
      expect(r.crashes, r.surface).toBe(0);
      // Every input is accounted for: refused with a code or (valid by chance) accepted.
      expect(r.refusedUncoded, r.surface).toBe(0);
      expect(r.refusedWithCodedError + r.accepted, r.surface).toBe(n);
      expect(r.refusedWithCodedError, r.surface).toBeGreaterThan(n / 2);
      expect(r.hubRssGrowthMB, r.surface).toBeLessThan(200);
    }
  }, 120_000);
});
