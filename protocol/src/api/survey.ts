import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../ids.ts';

/**
 * The quarterly lock-safety checklist (seed 000 "Khóa an toàn ANTT"). Each item is yes/no;
 * the keys are stable, the wording lives in the pages' dictionaries.
 */
export const SURVEY_ITEMS = [
  'main_door_lock_sound',
  'gate_locked_at_night',
  'windows_have_bars_or_locks',
  'spare_key_kept_safe',
  'valuables_out_of_sight',
  'vehicle_locked_inside',
  'lighting_at_entrance',
  'knows_police_hotline',
] as const;
export type SurveyItem = (typeof SURVEY_ITEMS)[number];

export const Quarter = Type.String({ pattern: '^20[0-9]{2}-Q[1-4]$', description: 'e.g. 2026-Q4' });

export const SurveyBodySchema = Type.Object(
  {
    householdId: Id,
    quarter: Quarter,
    answers: Type.Object(Object.fromEntries(SURVEY_ITEMS.map((k) => [k, Type.Boolean()])) as Record<SurveyItem, ReturnType<typeof Type.Boolean>>, { additionalProperties: false }),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { $id: 'SurveyBody', additionalProperties: false },
);
export type SurveyBody = Static<typeof SurveyBodySchema>;

export const SurveySummaryQuerySchema = Type.Object({ quarter: Quarter }, { additionalProperties: false });
