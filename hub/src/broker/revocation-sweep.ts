import type { Aedes } from 'aedes';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/tables.ts';
import type { Logger } from '../log.ts';

/**
 * Drops connections of devices revoked by another process (`khoa device revoke` writes the
 * database while the hub runs). Authentication refuses them from then on; this closes the
 * session they already had. One indexed query per sweep over the connected ids.
 */
export async function sweepRevoked(aedes: Aedes, db: Kysely<Database>, log: Logger): Promise<number> {
  const clients = (aedes as unknown as { clients: Record<string, { close(cb: () => void): void }> }).clients;
  const ids = Object.keys(clients);
  if (ids.length === 0) return 0;
  let dropped = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const revoked = await db.selectFrom('devices').select('id').where('revoked', '=', 1).where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const { id } of revoked) {
      const client = clients[id];
      if (!client) continue;
      log.warn({ deviceId: id }, 'closing the connection of a revoked device');
      await new Promise<void>((resolve) => client.close(resolve));
      dropped++;
    }
  }
  return dropped;
}
