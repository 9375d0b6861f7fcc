import type { IncomingMessage } from 'node:http';
import { clientAddressOf } from '../src/gateway/throttles';

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

test('without TRUST_PROXY the peer is the client, whatever X-Forwarded-For says', () => {
  const address = clientAddressOf([]);
  expect(address(request('192.0.2.1', '203.0.113.9'))).toBe('192.0.2.1');
});

test('behind a trusted proxy the forwarded client counts; an untrusted peer cannot forge one', () => {
  const address = clientAddressOf(['loopback', '10.0.0.0/8']);
  expect(address(request('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
  // A chain through two trusted proxies: the first untrusted address from the right.
  expect(address(request('10.1.2.3', '203.0.113.9, 10.9.9.9'))).toBe('203.0.113.9');
  expect(address(request('192.0.2.1', '203.0.113.9'))).toBe('192.0.2.1');
});
