/**
 * Files in the open room: the attach button (createUpload, a PUT of the bytes
 * with a progress bar, then sendChat naming the upload) and how an attachment
 * is shown: images uploaded here inline, anything else as a link.
 */
import { ApiError, request } from './api';
import { byId, h, randomId } from './dom';
import { graphql } from './gql';
import type { ChatMessageFragment } from './gql/graphql';
import { SendChat } from './operations';

export const CreateUpload = graphql(`
  mutation CreateUpload($name: String!, $contentType: String!, $size: Int!) {
    createUpload(name: $name, contentType: $contentType, size: $size) { uploadUrl url expiresAt }
  }
`);

/** Types the gateway serves inline (src/gateway/uploads.ts); SVG is not one. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

type Attachment = NonNullable<ChatMessageFragment['attachment']>;

/** Where to attach now: the session's token and the open room, or null. */
export type AttachTarget = () => { token: string; roomId: string } | null;

/** Binds the compose form's attach button: pick a file, watch it upload, and it is sent as a FILE message. */
export function wireAttach(target: AttachTarget, onError: (error: unknown) => void): void {
  const button = byId<HTMLButtonElement>('attach');
  const input = byId<HTMLInputElement>('attach-file');
  const progress = byId<HTMLProgressElement>('attach-progress');
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    const to = target();
    input.value = '';
    if (!file || !to) return;
    button.disabled = true;
    progress.value = 0;
    progress.hidden = false;
    sendFile(file, to.roomId, to.token, (fraction) => (progress.value = fraction))
      .catch(onError)
      .finally(() => {
        button.disabled = false;
        progress.hidden = true;
      });
  });
}

/** Uploads `file`, reporting progress from 0 to 1, then sends it to the room (it shows up through the room's subscription). */
export async function sendFile(file: File, roomId: string, token: string, onProgress: (fraction: number) => void): Promise<void> {
  const contentType = file.type || 'application/octet-stream';
  const { createUpload } = await request(CreateUpload, { name: file.name, contentType, size: file.size }, token);
  await put(new URL(createUpload.uploadUrl, location.href).toString(), file, contentType, token, onProgress);
  const attachment = { name: file.name, contentType, size: file.size, url: createUpload.url };
  await request(SendChat, { input: { roomId, body: '', clientMessageId: randomId(), attachment } }, token);
}

/** fetch() reports no upload progress; XMLHttpRequest does. */
function put(url: string, file: File, contentType: string, token: string, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onerror = () => reject(new ApiError('the upload was cut off', 'NETWORK_ERROR'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      try {
        reject(ApiError.from((JSON.parse(xhr.responseText) as { errors: { message: string; extensions?: { code?: unknown } }[] }).errors));
      } catch {
        reject(new ApiError(`the upload was refused (HTTP ${xhr.status})`, 'UPLOAD_REFUSED'));
      }
    };
    xhr.send(file);
  });
}

/** A file uploaded to this service: its link is on this origin, under /files/. */
function isUploaded(url: string): boolean {
  const parsed = new URL(url, location.href);
  return parsed.origin === location.origin && parsed.pathname.startsWith('/files/');
}

/** An image uploaded here shows inline; any other attachment is a link (never a javascript: or other scheme). */
export function renderAttachment(attachment: Attachment): HTMLElement | null {
  const uploaded = isUploaded(attachment.url);
  if (!uploaded && !/^https?:\/\//i.test(attachment.url)) return null;
  const link = { href: attachment.url, target: '_blank', rel: 'noopener noreferrer', class: 'attachment' };
  if (uploaded && INLINE_TYPES.has(attachment.contentType.toLowerCase())) {
    return h('a', link, h('img', { src: attachment.url, alt: attachment.name, loading: 'lazy' }));
  }
  return h('a', link, ` 📎 ${attachment.name} (${sizeText(attachment.size)})`);
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
