/**
 * The names of the files gcs-transfer keeps beside a download's destination. Each carries the tool's name, so
 * none can be mistaken for a user's file; the lock's record says which of them this tool created.
 */

/** The exclusive lock on the destination (see destination-lock.ts). */
export const LOCK_SUFFIX = '.gcs-transfer.lock';

/** The file a download writes into before it is verified. */
export const PARTIAL_SUFFIX = '.gcs-transfer.partial';

/** The decompressed file, written beside the partial file before it is renamed onto the destination. */
export const DECODED_SUFFIX = '.gcs-transfer.decoded';
