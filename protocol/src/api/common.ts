import { Type } from '@sinclair/typebox';

/** Numeric id in a URL path (alerts, tips, advisories, users). */
export const IdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,15}$' }) }, { additionalProperties: false });

/** Error body of every failed API call: a KhoaError serialised. */
export const ApiErrorSchema = Type.Object({ code: Type.String(), message: Type.String(), context: Type.Record(Type.String(), Type.Unknown()) });

/** Optional free text attached to a workflow step. */
export const NoteText = Type.String({ minLength: 1, maxLength: 2000 });

/** Query-string integers arrive as text; bounded by pattern rather than coerced. */
export const QueryInt = (maxDigits = 6) => Type.String({ pattern: `^[0-9]{1,${maxDigits}}$` });
