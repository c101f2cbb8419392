/**
 * The piscina worker file. Each task names its handler with piscina's `name` run option; see
 * `src/pool/protocol.ts` for the task shapes.
 */
export { uploadPart } from './upload-part.js';
export { hashRange } from './hash-range.js';
export { downloadRange } from './download-range.js';
