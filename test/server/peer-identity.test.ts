import { describe, expect, it } from 'vitest';
import { peerOf } from '../../src/server/peer-identity.js';

describe('peerOf', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:127.0.0.2', '127.0.0.2'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::1.2.3.4', '64:ff9b:0:0::/64'],
    [undefined, ''],
  ])('counts %s as %s', (address, peer) => {
    expect(peerOf(address)).toBe(peer);
  });

  it('gives every address of one /64 the same peer, and the next /64 another', () => {
    expect(peerOf('2001:db8:a:b::1')).toBe(peerOf('2001:db8:a:b:ffff:ffff:ffff:ffff'));
    expect(peerOf('2001:db8:a:b::1')).not.toBe(peerOf('2001:db8:a:c::1'));
  });
});
