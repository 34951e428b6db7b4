import type { AuthenticateError, Client } from 'aedes';
import type { Kysely } from 'kysely';
import { KhoaError, isValidId } from '@khoa/protocol';
import type { Database } from '../storage/tables.ts';
import { getCredentials } from '../storage/devices.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { CredentialCache } from './credential-cache.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { verifyDevicePassword } from './credentials.ts';
import { setIdentity, type DeviceIdentity } from './identity.ts';
import { remoteAddressOf } from './remote-address.ts';

// CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export type AuthRefusal = 'anonymous' | 'client_id_mismatch' | 'invalid_username' | 'rate_limited' | 'unknown_device' | 'revoked' | 'bad_password' | 'storage';

type Outcome = { ok: true; identity: Omit<DeviceIdentity, 'connection'>; cached: boolean } | { ok: false; reason: AuthRefusal; returnCode: number };

export interface AuthenticateDeps {
  db: Kysely<Database>;
  cache: CredentialCache;
  /** Failures per device and address, per address, per device from unfamiliar addresses. */
  throttle: LoginThrottle;
  metrics: Metrics;
  log: Logger;
}

/**
 * The broker's authenticate hook: no anonymous clients, client id must equal the username
 * (the device id), the password must verify against the device's argon2id hash, revoked
 * devices are refused, and failures are counted and rate-limited per client and address.
 */
export function createAuthenticate(deps: AuthenticateDeps) {
  return function authenticate(
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const address = remoteAddressOf(client);
    check(deps, client, username, password, address).then(
      (outcome) => {
        if (outcome.ok) {
          setIdentity(client, outcome.identity);
          deps.metrics.authAccepted.inc({ cached: String(outcome.cached) });
          deps.log.debug({ deviceId: outcome.identity.deviceId, householdId: outcome.identity.householdId, address, cached: outcome.cached }, 'device authenticated');
          return done(null, true);
        }
        deps.metrics.authRejected.inc({ reason: outcome.reason });
        const err = new KhoaError('KHOA_ERR_AUTH_FAILED', outcome.reason, { deviceId: username, clientId: client.id, address, reason: outcome.reason });
        deps.log.warn({ err: err.toJSON(), deviceId: typeof username === 'string' ? username.slice(0, 64) : undefined, address }, 'MQTT connection refused');
        done(Object.assign(err, { returnCode: outcome.returnCode }) as unknown as AuthenticateError, false);
      },
      (err: unknown) => {
        deps.metrics.authRejected.inc({ reason: 'storage' });
        deps.log.error({ err, address }, 'authentication failed unexpectedly');
        done(Object.assign(new KhoaError('KHOA_ERR_AUTH_FAILED', 'internal error'), { returnCode: SERVER_UNAVAILABLE }) as unknown as AuthenticateError, false);
      },
    );
  };
}

async function check(deps: AuthenticateDeps, client: Client, username: string | undefined, password: Buffer | undefined, address: string): Promise<Outcome> {
  // Anonymous and malformed names share one "account": they still count against the address.
  const account = typeof username === 'string' && isValidId(username) ? username : '';
  const verdict = deps.throttle.check(account, address);
  if (!verdict.ok) {
    deps.metrics.authThrottled.inc({ surface: 'mqtt', scope: verdict.scope });
    return { ok: false, reason: 'rate_limited', returnCode: NOT_AUTHORIZED };
  }
  const fail = (reason: AuthRefusal, returnCode: number): Outcome => {
    const closed = deps.throttle.fail(account, address);
    if (closed) deps.log.warn({ deviceId: account || undefined, address, scope: closed, code: 'KHOA_ERR_AUTH_FAILED' }, 'MQTT login attempts throttled');
    return { ok: false, reason, returnCode };
  };
  if (!username || !password || password.length === 0) return fail('anonymous', BAD_USERNAME_OR_PASSWORD);
  if (!isValidId(username)) return fail('invalid_username', BAD_USERNAME_OR_PASSWORD);
  // The device id is the client id: a device cannot take over another's session or topic space.
  if (client.id !== username) return fail('client_id_mismatch', IDENTIFIER_REJECTED);

  let row;
  try {
    row = await getCredentials(deps.db, username);
  } catch (err) {
    deps.log.error({ err, deviceId: username }, 'credential lookup failed');
    return { ok: false, reason: 'storage', returnCode: SERVER_UNAVAILABLE };
  }
  if (!row) return fail('unknown_device', BAD_USERNAME_OR_PASSWORD);
  if (row.revoked) return fail('revoked', NOT_AUTHORIZED);

  const identity = { deviceId: row.id, householdId: row.household_id };
  if (deps.cache.has(row.id, row.credential_hash, password)) {
    deps.throttle.succeed(username, address);
    return { ok: true, identity, cached: true };
  }
  if (!(await verifyDevicePassword(row.credential_hash, password))) return fail('bad_password', BAD_USERNAME_OR_PASSWORD);
  deps.cache.add(row.id, row.credential_hash, password);
  deps.throttle.succeed(username, address);
  return { ok: true, identity, cached: false };
}
