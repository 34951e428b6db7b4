/**
 * link-flapping: a real TCP proxy between the agents and the hub's broker drops every
 * connection every few hundred ms (by FIN, by RST, and sometimes in the middle of a packet)
 * while the agents' simulated locks keep reporting, forced doors included.
 */
import net from 'node:net';
import { DEFAULT_TUNING } from '@khoa/edge-agent';
import type { FaultOutcome, FaultScenario } from './scenario.ts';
import { agentMetric, hubMetric, produce, Rig, seeded, sleep, until, auditOutcome } from './agent-rig.ts';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Set by a mid-packet cut: the next chunk either way is cut in half, then both ends die. */
  tearing: boolean;
}

/**
 * A TCP proxy that can cut every connection through it. Data is forwarded chunk by chunk (not
 * piped) so a cut can land inside an MQTT packet.
 */
export class FlakyProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  accepted = 0;
  cuts = 0;
  tornPackets = 0;
  /** While true, new connections are refused at once (the link is down, not just flapping). */
  refusing = false;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  private accept(client: net.Socket): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, tearing: false };
    this.pairs.add(pair);
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (!pair.tearing) {
        to.write(chunk);
        return;
      }
      if (chunk.length > 1) {
        to.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
        this.tornPackets++;
      }
      this.kill(pair, false);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const end = () => this.kill(pair, false);
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  private kill(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    for (const s of [pair.client, pair.upstream]) {
      if (reset && !s.destroyed && s.readyState === 'open') s.resetAndDestroy();
      else s.destroy();
    }
  }

  /** Cuts every open connection: `fin`, `rst`, or `mid` (half of the next chunk goes through, then the cut). */
  cutAll(how: 'fin' | 'rst' | 'mid'): void {
    for (const pair of [...this.pairs]) {
      this.cuts++;
      if (how === 'mid') {
        pair.tearing = true;
        // A quiet connection has no next chunk: cut it anyway soon after.
        setTimeout(() => this.kill(pair, false), 40).unref();
      } else {
        this.kill(pair, how === 'rst');
      }
    }
  }

  async close(): Promise<void> {
    this.refusing = true;
    for (const p of [...this.pairs]) this.kill(p, false);
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface LinkFlappingOptions {
  agents: number;
  locks: number;
  /** How long the link flaps. */
  flapSeconds: number;
  /** Cuts come every `cutEveryMs` ± half of it. */
  cutEveryMs: number;
  /** Each agent emits one event per lock round this often. */
  eventEveryMs: number;
  /** The hub's agent-offline grace; every flap is far shorter. */
  offlineGraceMs: number;
  /**
   * After the audit, hold every link down past the grace once, to show the agent-offline rule
   * was live all along (so its silence during the flaps means something).
   */
  controlOutage: boolean;
  /**
   * `fast`: reconnect backoff 50–400 ms (test scale). `production`: the agent's defaults (1 s
   * doubling to 60 s, reset only after 30 s connected), to see what flapping costs in the field.
   */
  backoff: 'fast' | 'production';
  seed: number;
}

export const LINK_FLAPPING_DEFAULTS: LinkFlappingOptions = { agents: 10, locks: 4, flapSeconds: 30, cutEveryMs: 300, eventEveryMs: 40, offlineGraceMs: 3000, controlOutage: true, backoff: 'fast', seed: 9 };

export interface LinkFlappingOutcome extends FaultOutcome {
  reconnects: number;
  cuts: number;
  tornPackets: number;
  outOfOrder: number;
  mismatched: number;
  alertsDoubled: number;
  offlineAlerts: number;
  /** Devices the hub holds as offline after the flaps although their agent is connected (a stale Last Will applied late). */
  markedOfflineWhileConnected: number;
  /** Resent copies the hub recognised by (device, seq) and did not store again. */
  replaysDropped: number;
  /** agent_offline alerts after the control outage (links held down past the grace): one per agent shows the rule was live. */
  offlineAlertsAfterControl: number | null;
}

export async function runLinkFlapping(o: Partial<LinkFlappingOptions> = {}, progress: (line: string) => void = () => {}): Promise<LinkFlappingOutcome> {
  const opt = { ...LINK_FLAPPING_DEFAULTS, ...o };
  const rnd = seeded(opt.seed);
  const rig = await Rig.start({ rules: { agentOfflineGraceMs: opt.offlineGraceMs } });
  const proxy = new FlakyProxy(rig.port);
  try {
    const proxyPort = await proxy.listen();
    const locks = Array.from({ length: opt.locks }, (_, i) => `door${i}`);
    for (let i = 0; i < opt.agents; i++) {
      const tuning = opt.backoff === 'production' ? { reconnectMinMs: DEFAULT_TUNING.reconnectMinMs, reconnectMaxMs: DEFAULT_TUNING.reconnectMaxMs, reconnectStableMs: DEFAULT_TUNING.reconnectStableMs } : {};
      await rig.addAgent({ householdId: `hh-flap-${i}`, deviceId: `agent-flap-${i}`, locks, url: `mqtt://127.0.0.1:${proxyPort}`, tuning });
    }
    await until(() => rig.agents.every((a) => a.agent.connected()), 20_000, 'agents connected through the proxy');
    const reconnectsBefore = (await Promise.all(rig.agents.map((a) => agentMetric(a.agent, 'khoa_agent_mqtt_reconnects_total')))).reduce((x, y) => x + y, 0);
    progress(`link-flapping: ${opt.agents} agents × ${opt.locks} locks, cutting every ~${opt.cutEveryMs} ms for ${opt.flapSeconds} s`);

    const producer = produce(rig.agents, locks, { everyMs: opt.eventEveryMs, forceWithinMs: opt.flapSeconds * 800, random: rnd });
    const flapUntil = Date.now() + opt.flapSeconds * 1000;
    while (Date.now() < flapUntil) {
      await sleep(opt.cutEveryMs / 2 + rnd() * opt.cutEveryMs);
      const r = rnd();
      proxy.cutAll(r < 0.4 ? 'fin' : r < 0.7 ? 'rst' : 'mid');
    }
    producer.stop();
    const faultEnd = performance.now();
    await until(() => rig.whole(), 60_000, 'agents reconnected and queues drained');
    const recoverySeconds = Math.round((performance.now() - faultEnd) / 10) / 100;
    // Let the agent-offline rule tick well past its grace: a flap must not have started an outage clock that is still running.
    await sleep(opt.offlineGraceMs + 3 * rig.settings.rules.tickMs);
    const a = await rig.audit();
    const db = rig.current().db.kysely;
    const statuses = await db.selectFrom('devices').select(['id', 'status']).where('id', 'in', rig.agents.map((x) => x.deviceId)).execute();
    const markedOfflineWhileConnected = statuses.filter((d) => d.status !== 'online' && rig.agents.find((x) => x.deviceId === d.id)?.agent.connected()).length;
    const replaysDropped = await hubMetric(rig.hub, 'khoa_events_duplicate_total');
    const reconnects = (await Promise.all(rig.agents.map((x) => agentMetric(x.agent, 'khoa_agent_mqtt_reconnects_total')))).reduce((x, y) => x + y, 0) - reconnectsBefore;
    let offlineAlertsAfterControl: number | null = null;
    if (opt.controlOutage) {
      proxy.refusing = true;
      proxy.cutAll('rst');
      await sleep(opt.offlineGraceMs + 5 * rig.settings.rules.tickMs);
      offlineAlertsAfterControl = (await rig.audit()).offlineAlerts;
      proxy.refusing = false;
    }
    progress(`link-flapping: ${a.sent} sent, ${a.stored} stored, ${reconnects} reconnects, ${proxy.cuts} cuts (${proxy.tornPackets} mid-packet), recovery ${recoverySeconds} s`);
    return {
      fault: `TCP link cut every ${opt.cutEveryMs / 2}–${(opt.cutEveryMs * 3) / 2} ms for ${opt.flapSeconds} s (FIN, RST, mid-packet), ${opt.agents} agents, ${opt.backoff} reconnect backoff`,
      ...auditOutcome(a),
      recoverySeconds,
      reconnects,
      cuts: proxy.cuts,
      tornPackets: proxy.tornPackets,
      outOfOrder: a.outOfOrder,
      mismatched: a.mismatched,
      alertsDoubled: a.alertsDoubled,
      offlineAlerts: a.offlineAlerts,
      replaysDropped,
      markedOfflineWhileConnected,
      offlineAlertsAfterControl,
      notes: `${reconnects} agent reconnects, ${proxy.cuts} connections cut (${proxy.tornPackets} mid-packet); ${replaysDropped} resent copies dropped by the hub; ${a.outOfOrder} stored out of seq order; ${a.offlineAlerts} agent_offline alerts (grace ${opt.offlineGraceMs / 1000} s)`,
    };
  } finally {
    await proxy.close();
    await rig.close();
  }
}

export const linkFlapping: FaultScenario = {
  id: 'link-flapping',
  title: 'Agent link flapping (TCP cut every few hundred ms, sometimes mid-packet)',
  run: (opts) => runLinkFlapping({}, opts?.progress),
};
