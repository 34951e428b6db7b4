import { commandReplyValidator } from '@khoa/protocol';
import { startAgent, type Agent, type AgentOptions } from '../agent.ts';
import { FAST, PASSWORD, quietLog, testConfig } from './agent-fixture.ts';
import { observe, startTestBroker, type Observer, type TestBroker } from './broker.ts';

export const PREFIX = 'khoa/v1/hh-1/agent-1';

/** A broker, a hub-side observer and a connected agent, torn down by the caller's cleanups. */
export interface Rig {
  broker: TestBroker;
  hub: Observer;
  agent: Agent;
  config: ReturnType<typeof testConfig>;
  /** Sends a command as the hub would (QoS 1) and resolves with the reply carrying the same transaction. */
  send(name: string, payload: string | object): Promise<Record<string, unknown>>;
}

export async function startRig(cleanups: (() => unknown)[], opts: AgentOptions = {}): Promise<Rig> {
  const broker = await startTestBroker({ credentials: { 'agent-1': PASSWORD } });
  cleanups.push(() => broker.kill().catch(() => {}));
  const hub = await observe(broker.url, [`${PREFIX}/#`]);
  cleanups.push(() => hub.close());
  const config = testConfig(broker.url);
  const agent = await startAgent(config, { log: quietLog(), tuning: FAST, ...opts });
  cleanups.push(() => agent.stop());
  await agent.whenConnected();
  return {
    broker,
    hub,
    agent,
    config,
    async send(name, payload) {
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const seen = hub.messages.length;
      await hub.client.publishAsync(`${PREFIX}/cmd/${name}`, body, { qos: 1 });
      const tx = typeof payload === 'object' ? (payload as { transaction?: string }).transaction : undefined;
      const reply = await hub.waitFor(
        (m) => m.topic === `${PREFIX}/reply/${name}` && hub.messages.indexOf(m) >= seen && (tx === undefined || (JSON.parse(m.payload.toString()) as { transaction: string }).transaction === tx),
      );
      const parsed = JSON.parse(reply.payload.toString()) as unknown;
      const checked = commandReplyValidator.check(parsed);
      if (!checked.ok) throw checked.error;
      return parsed as Record<string, unknown>;
    },
  };
}
