import { describe, expect, it } from 'vitest';
import { InvalidAddressError, formatAddress, parseAddress } from '../../src/index.js';

/** A host name of exactly 253 characters: five labels of 49, then `abc`. */
const HOST_253 = `${Array.from({ length: 5 }, () => 'a'.repeat(49)).join('.')}.abc`;

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1:7000', '127.0.0.1', 7000],
    ['localhost:1', 'localhost', 1],
    ['node-1.cluster.example:65535', 'node-1.cluster.example', 65535],
    ['[::1]:7000', '::1', 7000],
    ['[fe80::1]:80', 'fe80::1', 80],
    ['[fe80::1%eth0]:7000', 'fe80::1%eth0', 7000],
    [`[fe80::1%${'z'.repeat(64)}]:7000`, `fe80::1%${'z'.repeat(64)}`, 7000],
    ['[::ffff:10.0.0.1]:7000', '::ffff:10.0.0.1', 7000],
    ['0.0.0.0:7000', '0.0.0.0', 7000],
    ['255.255.255.255:7000', '255.255.255.255', 7000],
    ['a_b.example.:7000', 'a_b.example.', 7000],
    ['n1:7000', 'n1', 7000],
    ['1a.example:7000', '1a.example', 7000],
    ['Node-1.EXAMPLE:7000', 'Node-1.EXAMPLE', 7000],
    [`${'a'.repeat(63)}.x:7000`, `${'a'.repeat(63)}.x`, 7000],
    // 253 characters, and with a final dot: the dot is not counted
    [`${HOST_253}:7000`, HOST_253, 7000],
    [`${HOST_253}.:7000`, `${HOST_253}.`, 7000],
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
    ['10.0.0.1:07000', 'port has a leading zero'],
    ['10.0.0.1:00', 'port has a leading zero'],
    ['10.0.0.256:7000', 'not an IPv4 address (four numbers'],
    ['010.0.0.1:7000', 'not an IPv4 address (four numbers'],
    ['10.0.0:7000', 'not an IPv4 address (four numbers'],
    ['10.0.0.1.:7000', 'not an IPv4 address (four numbers'],
    ['123:7000', 'not an IPv4 address (four numbers'],
    ['-a.example:7000', 'not an IPv4 address or host name'],
    ['a-.example:7000', 'not an IPv4 address or host name'],
    ['a.-:7000', 'not an IPv4 address or host name'],
    ['a..b:7000', 'not an IPv4 address or host name'],
    ['.:7000', 'not an IPv4 address or host name'],
    [`${'a'.repeat(64)}.x:7000`, 'not an IPv4 address or host name'],
    [`${HOST_253}a:7000`, 'not an IPv4 address or host name'],
    [`${HOST_253}..:7000`, 'not an IPv4 address or host name'],
    ['[fe80::1%]:7000', 'not an IPv6 address'],
    ['[fe80::1%eth 0]:7000', 'not an IPv6 address'],
    [`[fe80::1%${'z'.repeat(65)}]:7000`, 'zone id longer than 64 characters'],
    [`[fe80::1%${'z'.repeat(65_000)}]:7000`, 'zone id longer than 64 characters'],
  ])('refuses %j', (address, reason) => {
    expect(() => parseAddress(address)).toThrow(InvalidAddressError);
    expect(() => parseAddress(address)).toThrow(reason);
  });

  it('compares nothing: the host comes back exactly as written', () => {
    expect(parseAddress('NODE-1:7000').host).toBe('NODE-1');
    expect(parseAddress('[FD00:0::3]:7000').host).toBe('FD00:0::3');
  });

  it('formats what it parses', () => {
    for (const address of ['127.0.0.1:7000', '[::1]:7000', 'localhost:9']) {
      const { host, port } = parseAddress(address);
      expect(formatAddress(host, port)).toBe(address);
    }
  });
});
