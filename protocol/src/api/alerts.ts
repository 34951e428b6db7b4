import { Type, type Static } from '@sinclair/typebox';
import { ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATUSES } from '../domain.ts';
import { NoteText, QueryInt } from './common.ts';

const Kind = Type.Union(ALERT_KINDS.map((k) => Type.Literal(k)));
const Status = Type.Union(ALERT_STATUSES.map((s) => Type.Literal(s)));
const Ms = Type.Integer({ minimum: 0, description: 'epoch milliseconds' });
const MaybeMs = Type.Union([Ms, Type.Null()]);
const MaybeStr = Type.Union([Type.String(), Type.Null()]);

/** `GET /api/alerts` query. `status` is one status, `open` (default) or `all`. */
export const AlertListQuerySchema = Type.Object(
  {
    status: Type.Optional(Type.Union([Status, Type.Literal('open'), Type.Literal('all')])),
    kind: Type.Optional(Kind),
    overdue: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])),
    /** Only alerts assigned to the caller. */
    mine: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])),
    /** Text searched in the household's address and id. */
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Optional(QueryInt(3)),
    /** Opaque keyset cursor from the previous page's `next`. */
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}\\.[0-9]{1,16}$' })),
  },
  { $id: 'AlertListQuery', additionalProperties: false },
);
export type AlertListQuery = Static<typeof AlertListQuerySchema>;

export const AlertDtoSchema = Type.Object(
  {
    id: Type.Integer(),
    kind: Kind,
    status: Status,
    severity: Type.Union(ALERT_SEVERITIES.map((s) => Type.Literal(s))),
    householdId: Type.String(),
    address: Type.String(),
    areaId: Type.String(),
    areaName: Type.String(),
    deviceId: MaybeStr,
    subject: Type.String(),
    detail: MaybeStr,
    createdAt: Ms,
    deadlineAt: Ms,
    overdue: Type.Boolean(),
    hasSnapshot: Type.Boolean(),
    acknowledgedAt: MaybeMs,
    acknowledgedBy: MaybeStr,
    assignedAt: MaybeMs,
    assignedBy: MaybeStr,
    assignedTo: MaybeStr,
    resolvedAt: MaybeMs,
    resolvedBy: MaybeStr,
  },
  { $id: 'AlertDto', additionalProperties: false },
);
export type AlertDto = Static<typeof AlertDtoSchema>;

export const AlertListSchema = Type.Object({ items: Type.Array(AlertDtoSchema), next: MaybeStr }, { additionalProperties: false });
export type AlertList = Static<typeof AlertListSchema>;

export const AlertHistoryEntrySchema = Type.Object({ fromStatus: MaybeStr, toStatus: Type.String(), by: Type.String(), at: Ms, note: MaybeStr });
export const AlertNoteSchema = Type.Object({ id: Type.Integer(), by: Type.String(), at: Ms, text: Type.String() });
export const DeviceEventSchema = Type.Object({ id: Type.Integer(), lockId: Type.String(), type: Type.String(), at: Ms, battery: Type.Union([Type.Number(), Type.Null()]) });

export const AlertDetailSchema = Type.Object({
  alert: AlertDtoSchema,
  history: Type.Array(AlertHistoryEntrySchema),
  notes: Type.Array(AlertNoteSchema),
  events: Type.Array(DeviceEventSchema),
  /** The citizen's text when the alert is a tip. */
  tip: Type.Union([Type.Object({ text: Type.String(), hasPhoto: Type.Boolean() }), Type.Null()]),
  /** A camera the household shares with police until this time, if any. */
  sharedUntil: MaybeMs,
});
export type AlertDetail = Static<typeof AlertDetailSchema>;

export const AssignBodySchema = Type.Object({ officer: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{1,47}$' }), note: Type.Optional(NoteText) }, { $id: 'AssignBody', additionalProperties: false });
export const NoteBodySchema = Type.Object({ text: NoteText }, { $id: 'NoteBody', additionalProperties: false });
export const StepBodySchema = Type.Object({ note: Type.Optional(NoteText) }, { $id: 'StepBody', additionalProperties: false });
export type AssignBody = Static<typeof AssignBodySchema>;
export type StepBody = Static<typeof StepBodySchema>;

/** Workflow actions in URLs (`POST /api/alerts/:id/{action}`) and the status each leads to. */
export const ALERT_ACTIONS = { acknowledge: 'acknowledged', assign: 'assigned', resolve: 'resolved', 'false-alarm': 'false_alarm' } as const;
export type AlertAction = keyof typeof ALERT_ACTIONS;
