import { describe, expect, it } from 'vitest';
import { InvalidAddressError, formatAddress, parseAddress } from '../../src/index.js';

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1:7000', '127.0.0.1', 7000],
    ['localhost:1', 'localhost', 1],
    ['node-1.cluster.example:65535', 'node-1.cluster.example', 65535],
    ['[::1]:7000', '::1', 7000],
    ['[fe80::1]:80', 'fe80::1', 80],
  ])('splits %s', (address, host, port) => {
    expect(parseAddress(address)).toEqual({ host, port });
  });

  it.each([
    ['', 'expected host:port'],
    ['127.0.0.1', 'expected host:port'],
    [':7000', 'expected host:port'],
    ['127.0.0.1:', 'port is not a number'],
    ['127.0.0.1:70000', 'port out of range'],
    ['127.0.0.1:0', 'port out of range'],
    ['host:12ab', 'port is not a number'],
    ['::1:7000', 'IPv6 host must be written in brackets'],
    ['[::1:7000', 'unclosed ['],
    ['[nothost]:7000', 'not an IPv6 address'],
    ['bad host:7000', 'not an IPv4 address or host name'],
    ['a/b:7000', 'not an IPv4 address or host name'],
  ])('refuses %j', (address, reason) => {
    expect(() => parseAddress(address)).toThrow(InvalidAddressError);
    expect(() => parseAddress(address)).toThrow(reason);
  });

  it('formats what it parses', () => {
    for (const address of ['127.0.0.1:7000', '[::1]:7000', 'localhost:9']) {
      const { host, port } = parseAddress(address);
      expect(formatAddress(host, port)).toBe(address);
    }
  });
});
