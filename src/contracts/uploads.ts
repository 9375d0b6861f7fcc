/**
 * How a message names a file uploaded to this service: `upload:<uuid>`, the
 * UploadTicket's `url`. Only this reference travels in commands, events and
 * stored messages; the bytes never go through Kafka, and the link a reader
 * gets is made for them at the GraphQL edge (src/gateway/uploads.ts).
 */
export const UPLOAD_REF_PREFIX = 'upload:';

const REF = /^upload:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const uploadRef = (uploadId: string): string => `${UPLOAD_REF_PREFIX}${uploadId}`;

/** The upload an attachment URL names, or null for an external http(s) URL. */
export function uploadIdOf(url: string): string | null {
  return REF.exec(url)?.[1] ?? null;
}
