import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../ids.ts';

/**
 * The officials' API (/api/district): coverage, response and standing of an area and the areas
 * right below it, for a period. Aggregates only: no household, address or image crosses it.
 */

/** 2026 (year), 2026-H1 (6 months), 2026-Q1 (quarter), 2026-03 (month). */
export const ReportPeriod = Type.String({ pattern: '^20[0-9]{2}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$', description: 'e.g. 2026-H1, 2026-Q3, 2026-07, 2026' });

export const DistrictAreaParamsSchema = Type.Object({ id: Id }, { $id: 'DistrictAreaParams', additionalProperties: false });
export type DistrictAreaParams = Static<typeof DistrictAreaParamsSchema>;

export const DistrictViewQuerySchema = Type.Object(
  { period: Type.Optional(ReportPeriod), lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])) },
  { $id: 'DistrictViewQuery', additionalProperties: false },
);
export type DistrictViewQuery = Static<typeof DistrictViewQuerySchema>;

export const REPORT_FORMATS = ['csv', 'html', 'pdf'] as const;
export const DistrictReportParamsSchema = Type.Object(
  { id: Id, format: Type.Union(REPORT_FORMATS.map((f) => Type.Literal(f))) },
  { $id: 'DistrictReportParams', additionalProperties: false },
);
export type DistrictReportParams = Static<typeof DistrictReportParamsSchema>;

/** Commune class and movement rating of a period (seed 001); null clears one. */
export const StandingBodySchema = Type.Object(
  {
    period: ReportPeriod,
    class: Type.Union([Type.Literal('trong_diem_phuc_tap'), Type.Literal('phuc_tap'), Type.Literal('it_phuc_tap'), Type.Null()]),
    rating: Type.Union([Type.Literal('tot'), Type.Literal('kha'), Type.Literal('trung_binh'), Type.Literal('yeu'), Type.Null()]),
  },
  { $id: 'StandingBody', additionalProperties: false },
);
export type StandingBody = Static<typeof StandingBodySchema>;

/** Whether a unit was recognised "An toàn về ANTT" in a year. */
export const RecognitionBodySchema = Type.Object(
  { year: Type.Integer({ minimum: 2000, maximum: 2100 }), recognised: Type.Boolean() },
  { $id: 'RecognitionBody', additionalProperties: false },
);
export type RecognitionBody = Static<typeof RecognitionBodySchema>;

const Count = Type.Union([Type.Integer({ minimum: 0, maximum: 100_000_000 }), Type.Null()]);

/**
 * An administrator's change to one area (name, urban/rural class, census counts). Fields left
 * out keep their value; null clears a count or the class. Stored as a new version of the area,
 * like an import, so earlier reports are unchanged.
 */
export const AreaEditBodySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    kind: Type.Optional(Type.Union([Type.Literal('urban'), Type.Literal('rural'), Type.Null()])),
    households: Type.Optional(Count),
    residentialAreas: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    residentialAreasCovered: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    agencies: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    agenciesCovered: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { $id: 'AreaEditBody', additionalProperties: false, minProperties: 1 },
);
export type AreaEditBody = Static<typeof AreaEditBodySchema>;
