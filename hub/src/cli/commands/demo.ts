import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { KhoaError } from '@khoa/protocol';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { createAgentConfig, newDevicePassword, removeAgentConfig, writeAgentConfig } from '@khoa/firmware-config';
import type { CliCommand } from '../command.ts';
import { configOption, parseOptions } from '../options.ts';
import { loadSettings } from '../../settings/load.ts';
import { startHub, type Hub } from '../../hub.ts';
import { createLogger } from '../../log.ts';
import type { Database } from '../../storage/tables.ts';
import { addArea, getArea } from '../../storage/areas.ts';
import { addHousehold, getHousehold } from '../../storage/households.ts';
import { addDevice, getDevice } from '../../storage/devices.ts';
import { hashDevicePassword } from '../../broker/credentials.ts';
import { createUser, resetPassword, ROOT } from '../../accounts/create-user.ts';
import { hashPassword } from '../../accounts/passwords.ts';
import { getUserByName } from '../../storage/users.ts';
import type { ConsoleDb } from '../../storage/console-tables.ts';

const usage = `usage: khoa demo [--config FILE]

Starts a demonstration on one machine with nothing else installed: the hub (embedded MQTT
broker, SQLite in .data/demo unless KHOA_DATA_DIR says otherwise, console on http://localhost:8080)
and a demo commune of three villages; one household runs an edge agent process whose camera
plays a street video with pedestrians (KHOA_DEMO_VIDEO to use another file) and whose front
door lock is simulated (it unlocks, opens, and now and then is forced). The household is armed,
so people on camera and door events raise alerts in the console within a minute.
Accounts police, household, district and admin get KHOA_DEMO_PASSWORD, or generated passwords
printed at each start (changed at first login). Logs go to .data/demo/*.log. Stop with Ctrl+C.`;

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const DEMO = { province: 'bac-giang', commune: 'xa-demo', village: 'thon-mot', household: 'demo-hh', agent: 'demo-agent' };

/** The demo's accounts: one per role, scoped as a real commune would have them. */
const ACCOUNTS = [
  { username: 'police', role: 'officer', displayName: 'Cán bộ Công an xã', areaId: DEMO.commune, what: 'commune police officer (Xã Trình Diễn)' },
  { username: 'household', role: 'household', displayName: 'Gia đình Số 12', householdId: DEMO.household, what: 'household member (Số 12, Thôn Một)' },
  { username: 'district', role: 'official', displayName: 'Lãnh đạo Công an tỉnh', areaId: DEMO.province, what: 'province official (aggregates only)' },
  { username: 'admin', role: 'admin', displayName: 'Quản trị', areaId: ROOT, what: 'administrator' },
] as const;

/** Neighbours without agents, so the commune and its coverage look like a commune. */
const VILLAGES = [
  { id: 'thon-mot', name: 'Thôn Một' },
  { id: 'thon-hai', name: 'Thôn Hai' },
  { id: 'thon-ba', name: 'Thôn Ba' },
];
const NEIGHBOURS = [
  { id: 'demo-hh-2', village: 'thon-mot', address: 'Số 14, Thôn Một, Xã Trình Diễn' },
  { id: 'demo-hh-3', village: 'thon-hai', address: 'Số 3, Thôn Hai, Xã Trình Diễn' },
  { id: 'demo-hh-4', village: 'thon-hai', address: 'Số 8, Thôn Hai, Xã Trình Diễn' },
  { id: 'demo-hh-5', village: 'thon-ba', address: 'Số 21, Thôn Ba, Xã Trình Diễn' },
];

/** The area tree, household and agent device of the demo; idempotent across restarts. */
async function seed(db: Kysely<Database>, agentPassword: string): Promise<void> {
  if (!(await getArea(db, DEMO.province))) await addArea(db, { id: DEMO.province, level: 'province', name: 'Tỉnh Bắc Giang', kind: 'rural' });
  if (!(await getArea(db, DEMO.commune))) await addArea(db, { id: DEMO.commune, parentId: DEMO.province, level: 'commune', name: 'Xã Trình Diễn', kind: 'rural' });
  for (const v of VILLAGES) if (!(await getArea(db, v.id))) await addArea(db, { id: v.id, parentId: DEMO.commune, level: 'village', name: v.name, kind: 'rural' });
  if (!(await getHousehold(db, DEMO.household))) await addHousehold(db, { id: DEMO.household, areaId: DEMO.village, address: 'Số 12, Thôn Một, Xã Trình Diễn' });
  for (const n of NEIGHBOURS) if (!(await getHousehold(db, n.id))) await addHousehold(db, { id: n.id, areaId: n.village, address: n.address });
  const hash = await hashDevicePassword(agentPassword);
  // A fresh agent password at every start: the previous config file is replaced, never reused.
  if (await getDevice(db, DEMO.agent)) await db.updateTable('devices').set({ credential_hash: hash, revoked: 0 }).where('id', '=', DEMO.agent).execute();
  else await addDevice(db, { id: DEMO.agent, householdId: DEMO.household, credentialHash: hash });
}

function agentLogNote(dataDir: string): string {
  return join(dataDir, 'agent.log');
}

async function armWhenOnline(hub: Hub, logFile: string): Promise<void> {
  const device = { householdId: DEMO.household, deviceId: DEMO.agent };
  for (let i = 0; i < 120; i++) {
    const row = await getDevice(hub.db.kysely, DEMO.agent);
    if (row?.status === 'online') {
      await hub.sendCommand(device, 'arm', { transaction: `demo-arm-${Date.now()}`, mode: 'away' });
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`khoa demo: the household agent did not connect within a minute; see ${logFile}`);
}

/**
 * Makes the demo account or gives it a new password. With KHOA_DEMO_PASSWORD the operator chose
 * the password, so it is not a generated one to be changed at first login; without it each start
 * prints fresh generated passwords, shown this once.
 */
async function account(db: ConsoleDb, a: (typeof ACCOUNTS)[number], chosen: string | undefined): Promise<string> {
  const existing = await getUserByName(db, a.username);
  if (!chosen) {
    if (existing) return resetPassword(db, a.username);
    return (await createUser(db, { username: a.username, role: a.role, displayName: a.displayName, ...('areaId' in a ? { areaId: a.areaId } : { householdId: a.householdId }) })).password;
  }
  if (!existing) await createUser(db, { username: a.username, role: a.role, displayName: a.displayName, ...('areaId' in a ? { areaId: a.areaId } : { householdId: a.householdId }) });
  await db.updateTable('users').set({ password_hash: await hashPassword(chosen), must_change_password: 0 }).where('username', '=', a.username).execute();
  return chosen;
}

export const demo: CliCommand = {
  name: 'demo',
  summary: 'hub plus a simulated household, console on localhost (what npm start runs)',
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, configOption);
    const settings = loadSettings({ file: values.config, overrides: process.env.KHOA_DATA_DIR ? {} : { dataDir: join('.data', 'demo') } });
    mkdirSync(settings.dataDir, { recursive: true });
    const hubLog = join(settings.dataDir, 'hub.log');
    const hub = await startHub(settings, { logger: createLogger(settings.logLevel, createWriteStream(hubLog, { flags: 'a' })) });
    let agent: ChildProcess | undefined;
    const stop = async () => {
      agent?.kill('SIGTERM');
      await hub.stop();
    };
    try {
      const agentPassword = newDevicePassword();
      await seed(hub.db.kysely, agentPassword);
      const consoleDb = hub.db.kysely as unknown as ConsoleDb;
      const chosen = process.env.KHOA_DEMO_PASSWORD || undefined;
      if (chosen !== undefined && chosen.length < 8) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'KHOA_DEMO_PASSWORD must have at least 8 characters', { env: 'KHOA_DEMO_PASSWORD' });
      const passwords: string[] = [];
      for (const a of ACCOUNTS) passwords.push(await account(consoleDb, a, chosen));
      const video = process.env.KHOA_DEMO_VIDEO ? resolve(process.env.KHOA_DEMO_VIDEO) : join(repo, 'test/fixtures/media/vtest-58s-12s.mp4');
      if (!existsSync(video)) throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `KHOA_DEMO_VIDEO ${video} does not exist`, { env: 'KHOA_DEMO_VIDEO' });

      const agentDir = join(settings.dataDir, 'agent');
      mkdirSync(agentDir, { recursive: true });
      const configFile = join(agentDir, 'agent.json');
      await removeAgentConfig(configFile);
      await writeAgentConfig(
        configFile,
        createAgentConfig({
          householdId: DEMO.household,
          deviceId: DEMO.agent,
          password: agentPassword,
          hubUrl: `mqtt://127.0.0.1:${hub.mqttPort}`,
          dataDir: resolve(agentDir),
          locks: [
            {
              id: 'cua-chinh',
              kind: 'lock_with_door',
              driver: 'simulator',
              name: 'Cửa chính',
              options: {
                repeat: true,
                steps: [
                  { afterMs: 20_000, type: 'unlocked' },
                  { afterMs: 2_000, type: 'door_open' },
                  { afterMs: 8_000, type: 'door_closed' },
                  { afterMs: 2_000, type: 'locked' },
                  { afterMs: 60_000, type: 'forced' },
                  { afterMs: 30_000, type: 'door_closed' },
                ],
              },
            },
          ],
          cameras: [{ id: 'cong-truoc', name: 'Cổng trước', file: video, fps: 5, width: 768 }],
        }),
      );

      const agentLog = createWriteStream(join(settings.dataDir, 'agent.log'), { flags: 'a' });
      agent = spawn(process.execPath, [join(repo, 'edge-agent/bin/khoa-agent.js'), '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      agent.stdout?.pipe(agentLog);
      agent.stderr?.pipe(agentLog);
      agent.on('exit', (code, signal) => {
        if (signal !== 'SIGTERM') console.error(`khoa demo: the household agent stopped (${signal ?? `exit ${code}`}); see ${join(settings.dataDir, 'agent.log')}`);
      });

      // Armed is the agent's state (it reports it in every heartbeat), so arm through the agent,
      // as the household page does, once it is connected.
      void armWhenOnline(hub, agentLogNote(settings.dataDir));

      const host = settings.http.host === '0.0.0.0' || settings.http.host === '::' ? 'localhost' : settings.http.host;
      console.log(
        [
          '',
          'Khoa demo is running.',
          '',
          `  Console        http://${host}:${hub.httpPort}/`,
          ...ACCOUNTS.map((a, i) => `  ${a.username.padEnd(10)} password ${chosen ? '(KHOA_DEMO_PASSWORD)' : passwords[i]}   ${a.what}`),
          ...(chosen ? [] : ['             generated passwords are asked to be changed at first login']),
          '',
          `  MQTT broker    mqtt://${host}:${hub.mqttPort}  (devices only, with their own credentials)`,
          `  Metrics        http://${host}:${hub.httpPort}/metrics`,
          `  Logs           ${hubLog}, ${join(settings.dataDir, 'agent.log')}`,
          '',
          'The household is armed: pedestrians on its camera and its front door raise alerts.',
          'Press Ctrl+C to stop.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', resolveStop);
        process.once('SIGTERM', resolveStop);
      });
      console.log('stopping…');
      await stop();
      return 0;
    } catch (err) {
      await stop();
      throw err;
    }
  },
};
