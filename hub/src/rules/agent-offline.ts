import { listOfflineSince } from '../storage/devices.ts';
import { hasAlertSince } from '../storage/alerts.ts';
import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/**
 * An agent whose Last Will (or clean `offline`) is older than settings.rules.agentOfflineGraceMs.
 * Evaluated on the tick, so a reconnect within the grace period (status back to online)
 * cancels it simply by no longer matching; a short power or network blip raises nothing.
 */
export const agentOffline: Rule = {
  name: 'agent-offline',
  async tick(ctx) {
    const now = ctx.now();
    for (const d of await listOfflineSince(ctx.db, now - ctx.settings.agentOfflineGraceMs)) {
      // Once per outage: not again after the police closed it while the agent is still down.
      if (await hasAlertSince(ctx.db, { kind: 'agent_offline', deviceId: d.id, subject: '' }, d.status_at ?? 0)) continue;
      const minutes = Math.round((now - (d.status_at ?? now)) / 60_000);
      await ctx.raise({ kind: 'agent_offline', householdId: d.household_id, deviceId: d.id, detail: factsDetail({ minutes }) });
    }
  },
};
