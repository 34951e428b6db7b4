import { randomUUID } from 'node:crypto';
import type { Aedes, AedesPublishPacket } from 'aedes';
import {
  KhoaError, TOPIC_ROOT, commandReplyValidator, parseJsonPayload, parseTopic, topics,
  type CommandName, type CommandPayloads, type CommandReply, type DeviceRef,
} from '@khoa/protocol';

type PayloadWithoutTransaction<K extends CommandName> = Omit<CommandPayloads[K], 'transaction'>;

export type SendCommand = <K extends CommandName>(device: DeviceRef, name: K, payload: PayloadWithoutTransaction<K>, timeoutMs?: number) => Promise<CommandReply>;

interface Pending {
  device: DeviceRef;
  name: CommandName;
  resolve(reply: CommandReply): void;
  timer: NodeJS.Timeout;
}

/**
 * Request/response over MQTT, in the zigbee2mqtt `bridge/request` → `bridge/response` way: the
 * command carries a fresh transaction id, and the agent's `…/reply/{name}` echoing it settles
 * the promise. One broker-side wildcard subscription serves every pending command. A reply is
 * accepted only from the device the command went to (the broker ACL already keeps a device to
 * its own prefix; this also keeps one device from answering for another of the household).
 */
export function createCommandSender(broker: () => Aedes, defaultTimeoutMs = 10_000): { send: SendCommand; close(): void } {
  const pending = new Map<string, Pending>();
  const filter = `${TOPIC_ROOT}/+/+/reply/+`;
  let subscribed: Promise<void> | undefined;

  const deliver = (packet: AedesPublishPacket, cb: () => void) => {
    cb();
    const t = parseTopic(packet.topic);
    if (t?.kind !== 'reply') return;
    const r = parseJsonPayload(commandReplyValidator, packet.payload as Buffer, 64 * 1024);
    if (!r.ok) return;
    const p = pending.get(r.value.transaction);
    if (!p || p.device.deviceId !== t.deviceId || p.device.householdId !== t.householdId || p.name !== t.command) return;
    pending.delete(r.value.transaction);
    clearTimeout(p.timer);
    p.resolve(r.value);
  };

  const subscribe = () => (subscribed ??= new Promise<void>((resolve) => broker().subscribe(filter, deliver, () => resolve())));

  const send: SendCommand = async (device, name, payload, timeoutMs = defaultTimeoutMs) => {
    await subscribe();
    const transaction = randomUUID();
    const reply = new Promise<CommandReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(transaction);
        reject(new KhoaError('KHOA_ERR_DEVICE_UNKNOWN', `no reply from ${device.deviceId} to ${name} within ${timeoutMs} ms`, { deviceId: device.deviceId, command: name, timeout: true }));
      }, timeoutMs);
      pending.set(transaction, { device, name, resolve, timer });
    });
    const body = Buffer.from(JSON.stringify({ ...payload, transaction }));
    await new Promise<void>((resolve, reject) =>
      broker().publish({ cmd: 'publish', topic: topics.cmd(device, name), payload: body, qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    return reply;
  };

  return {
    send,
    close() {
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      if (subscribed) broker().unsubscribe(filter, deliver, () => {});
    },
  };
}

/** Fire-and-forget command (advisories to many agents): QoS 1, so the broker queues it for a reconnecting agent's persistent session. */
export function publishCommand<K extends CommandName>(broker: Aedes, device: DeviceRef, name: K, payload: PayloadWithoutTransaction<K>): Promise<void> {
  const body = Buffer.from(JSON.stringify({ ...payload, transaction: randomUUID() }));
  return new Promise((resolve, reject) =>
    broker.publish({ cmd: 'publish', topic: topics.cmd(device, name), payload: body, qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
  );
}
