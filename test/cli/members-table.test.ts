import { describe, expect, it } from 'vitest';
import { describeMembers } from '../../src/cli/members.js';

const members = [
  { id: 'n1', address: '127.0.0.1:7001', role: 'voter' },
  { id: 'node-22', address: '127.0.0.1:7022', role: 'nonvoter' },
  { id: 'n3', address: '127.0.0.1:7003', role: 'voter' },
] as const;

describe('raft-membership members: the table and the JSON', () => {
  it('marks the server that answered as the leader', () => {
    const { text, fields } = describeMembers({ index: 9, members, leader: '127.0.0.1:7003' });
    expect(text).toBe(
      [
        'ID       ADDRESS         ROLE      LEADER',
        'n1       127.0.0.1:7001  voter',
        'node-22  127.0.0.1:7022  nonvoter',
        'n3       127.0.0.1:7003  voter     yes',
        '3 servers, 2 voters, leader n3 (configuration index 9)',
      ].join('\n'),
    );
    expect(fields).toEqual({ index: 9, leader: { id: 'n3', address: '127.0.0.1:7003' }, members });
  });

  it('says so when the server that answered is not in the configuration', () => {
    const { text, fields } = describeMembers({ members, leader: '10.0.0.9:7000' });
    expect(text.split('\n').at(-1)).toBe('3 servers, 2 voters; answered by 10.0.0.9:7000, which is not in this configuration');
    expect(fields).toEqual({ leader: { address: '10.0.0.9:7000' }, members });
  });

  it('has no leader column when the client does not say who answered', () => {
    const { text, fields } = describeMembers({ members });
    expect(text.split('\n')[0]).toBe('ID       ADDRESS         ROLE');
    expect(fields).toEqual({ members });
  });
});
