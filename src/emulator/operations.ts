/**
 * The operation names the emulator counts requests under and that fault rules match on. They name what a
 * client did, not which URL it used: the two JSON media URL forms are both `media`.
 */
export const OPERATIONS = [
  'bucket-insert',
  'bucket-list',
  'bucket-get',
  'bucket-patch',
  'bucket-delete',
  'object-list',
  'metadata',
  'object-patch',
  'object-delete',
  'copy',
  'rewrite',
  'compose',
  'move',
  'batch',
  'media',
  'xml-get',
  'xml-head',
  'upload-media',
  'upload-multipart',
  'resumable-initiate',
  'resumable-put',
  'resumable-cancel',
  'mpu-initiate',
  'mpu-upload-part',
  'mpu-list-parts',
  'mpu-complete',
  'mpu-abort',
  'mpu-list-uploads',
  'xml-list',
  'xml-put',
  'xml-delete',
  'not-implemented',
  'other',
] as const;

export type Op = (typeof OPERATIONS)[number];

const known: ReadonlySet<string> = new Set(OPERATIONS);

export function isOp(value: unknown): value is Op {
  return typeof value === 'string' && known.has(value);
}

/** A record with every operation set to 0, so snapshots always have the same keys. */
export function zeroPerOp(): Record<Op, number> {
  return Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<Op, number>;
}
