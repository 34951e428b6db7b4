import { Type, type Static } from '@sinclair/typebox';
import { compile } from '../validate.ts';

/** `…/heartbeat`: periodic agent health, not retained. */
export const HeartbeatSchema = Type.Object(
  {
    ts: Type.Integer({ minimum: 0 }),
    uptimeS: Type.Number({ minimum: 0 }),
    /** Events waiting in the store-and-forward queue. */
    queued: Type.Integer({ minimum: 0 }),
    /** Events dropped because the queue was full, since start. */
    dropped: Type.Integer({ minimum: 0 }),
    armed: Type.Optional(Type.Boolean()),
    cpuPercent: Type.Optional(Type.Number({ minimum: 0 })),
    rssBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { $id: 'Heartbeat', additionalProperties: false },
);
export type Heartbeat = Static<typeof HeartbeatSchema>;
export const heartbeatValidator = compile(HeartbeatSchema);
