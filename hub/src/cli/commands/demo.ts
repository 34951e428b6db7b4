import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
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
import { createUser, resetPassword } from '../../accounts/create-user.ts';
import { getUserByName } from '../../storage/users.ts';
import type { ConsoleDb } from '../../storage/console-tables.ts';

const usage = `usage: khoa demo [--config FILE]

Starts a demonstration on one machine with nothing else installed: the hub (embedded MQTT
broker, SQLite in .data/demo unless KHOA_DATA_DIR says otherwise, console on http://localhost:8080)
and one simulated household: an edge agent process whose camera plays a street video with
pedestrians and whose front door lock is simulated (locks, opens, and now and then is forced).
The household is armed, so people on camera and door events raise alerts in the console.
Accounts for a commune police officer and the household are (re)made at each start and their
passwords printed once. Logs go to .data/demo/*.log. Stop with Ctrl+C.`;

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const DEMO = { province: 'bac-giang', commune: 'xa-demo', village: 'thon-mot', household: 'demo-hh', agent: 'demo-agent', officer: 'canbo.demo', member: 'giadinh.demo' };

/** The area tree, household and agent device of the demo; idempotent across restarts. */
async function seed(db: Kysely<Database>, agentPassword: string): Promise<void> {
  if (!(await getArea(db, DEMO.province))) await addArea(db, { id: DEMO.province, level: 'province', name: 'Tỉnh Bắc Giang', kind: 'rural' });
  if (!(await getArea(db, DEMO.commune))) await addArea(db, { id: DEMO.commune, parentId: DEMO.province, level: 'commune', name: 'Xã Trình Diễn', kind: 'rural' });
  if (!(await getArea(db, DEMO.village))) await addArea(db, { id: DEMO.village, parentId: DEMO.commune, level: 'village', name: 'Thôn Một', kind: 'rural' });
  if (!(await getHousehold(db, DEMO.household))) await addHousehold(db, { id: DEMO.household, areaId: DEMO.village, address: 'Số 12, Thôn Một, Xã Trình Diễn' });
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

async function account(db: ConsoleDb, username: string, make: () => Promise<{ password: string }>): Promise<string> {
  return (await getUserByName(db, username)) ? resetPassword(db, username) : (await make()).password;
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
      const officerPassword = await account(consoleDb, DEMO.officer, () => createUser(consoleDb, { username: DEMO.officer, role: 'officer', displayName: 'Cán bộ Công an xã', areaId: DEMO.commune }));
      const memberPassword = await account(consoleDb, DEMO.member, () => createUser(consoleDb, { username: DEMO.member, role: 'household', displayName: 'Gia đình Số 12', householdId: DEMO.household }));

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
          cameras: [{ id: 'cong-truoc', name: 'Cổng trước', file: join(repo, 'test/fixtures/media/vtest-58s-12s.mp4'), fps: 5, width: 768 }],
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
          `  Police officer ${DEMO.officer}   password ${officerPassword}   (Xã Trình Diễn)`,
          `  Household      ${DEMO.member}  password ${memberPassword}   (Số 12, Thôn Một)`,
          '                 both are asked to choose a new password at first login',
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
