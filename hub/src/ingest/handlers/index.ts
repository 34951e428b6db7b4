import type { TopicKind } from '@khoa/protocol';
import type { Handler } from '../context.ts';
import { handleStatus } from './status.ts';
import { handleRegister } from './register.ts';
import { handleHeartbeat } from './heartbeat.ts';
import { handleLockEvent } from './lock-event.ts';
import { handleCamState } from './cam-state.ts';
import { handleCamFrame } from './cam-frame.ts';
import { handleReply } from './reply.ts';

/**
 * The handler of each topic kind a device may publish. `cmd` has none: only the hub writes
 * commands and the ACL refuses them from devices. A new message kind is one file plus one line.
 */
export const handlers: { [K in Exclude<TopicKind, 'cmd'>]: Handler<K> } = {
  status: handleStatus,
  register: handleRegister,
  heartbeat: handleHeartbeat,
  lock_event: handleLockEvent,
  cam_state: handleCamState,
  cam_frame: handleCamFrame,
  reply: handleReply,
};

/**
 * Kinds whose acknowledged part is only writes through the FIFO group commit, queued before the
 * handler returns: when the store keeps call order (LockEventStore.inCallOrder), a
 * device's next message of these kinds starts without waiting for this one's commit, so a
 * burst from one device is one transaction instead of one per message.
 */
export const pipelinedKinds: ReadonlySet<TopicKind> = new Set<TopicKind>(['lock_event']);
