/**
 * `…/status`, retained. Plain text rather than JSON so the Last Will, fixed at connect time,
 * is the same literal as the online message it replaces.
 */
export const STATUS_VALUES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof STATUS_VALUES)[number];

export function parseStatus(payload: Uint8Array): DeviceStatus | null {
  if (payload.byteLength > 16) return null;
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1');
  return (STATUS_VALUES as readonly string[]).includes(text) ? (text as DeviceStatus) : null;
}
