import { UPLOAD_CONTENT_TYPES_DEFAULT, UPLOAD_MAX_BYTES_DEFAULT, loadConfig } from '../src/config';

const load = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', ...env }, () => undefined);

test('uploads default to 25 MiB, a short allow-list, 10-minute tickets and 5-minute links, relative links', () => {
  const { uploads, publicUrl } = load();
  expect(uploads).toMatchObject({ maxBytes: 25 * 1024 * 1024, ticketSeconds: 600, linkSeconds: 300, perMinute: 10 });
  expect(UPLOAD_MAX_BYTES_DEFAULT).toBe(26214400);
  expect(uploads.contentTypes).toEqual(UPLOAD_CONTENT_TYPES_DEFAULT);
  expect(uploads.contentTypes).not.toContain('image/svg+xml');
  expect(publicUrl).toBe('');
});

test('the allow-list and the public origin are read and checked', () => {
  const config = load({ UPLOAD_CONTENT_TYPES: 'Image/PNG, text/csv', UPLOAD_MAX_BYTES: '1000', PUBLIC_URL: 'https://chat.example.com/' });
  expect(config.uploads.contentTypes).toEqual(['image/png', 'text/csv']);
  expect(config.uploads.maxBytes).toBe(1000);
  expect(config.publicUrl).toBe('https://chat.example.com');
  expect(() => load({ UPLOAD_CONTENT_TYPES: 'png', PUBLIC_URL: 'chat.example.com/x', UPLOAD_MAX_BYTES: '0' })).toThrow(
    /UPLOAD_CONTENT_TYPES entry "png"[\s\S]*UPLOAD_MAX_BYTES[\s\S]*PUBLIC_URL/,
  );
});

test("a gateway takes in 8 MiB of uploads a second unless told otherwise; 0 is no bound, and a bound below one body piece is refused", () => {
  expect(load().uploads.gatewayBytesPerSecond).toBe(8 * 1024 * 1024);
  expect(load({ UPLOAD_GATEWAY_BYTES_PER_SECOND: '0' }).uploads.gatewayBytesPerSecond).toBe(0);
  expect(load({ UPLOAD_GATEWAY_BYTES_PER_SECOND: '65536' }).uploads.gatewayBytesPerSecond).toBe(65536);
  expect(() => load({ UPLOAD_GATEWAY_BYTES_PER_SECOND: '1000' })).toThrow(/UPLOAD_GATEWAY_BYTES_PER_SECOND must be 0 \(no bound\) or at least 65536/);
});
