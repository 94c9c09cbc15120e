/**
 * Which peer a connection comes from, for per-peer limits: its remote IP
 * address. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as its
 * IPv4 address, so a dual-stack listener does not give one host two
 * budgets; a native IPv6 peer counts by its /64, the block one host is
 * usually given, so it cannot take a budget per address of its subnet.
 * A socket that lost its address (closed before it was asked) gets `''`.
 */
export function peerOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  if (!remoteAddress.includes(':')) return remoteAddress;
  const address = remoteAddress.toLowerCase().split('%', 1)[0]!;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice('::ffff:'.length);
  return `${firstFourGroups(address).join(':')}::/64`;
}

/** The first 64 bits of an IPv6 address as four groups in their shortest form. */
function firstFourGroups(address: string): string[] {
  const [head = '', tail] = address.split('::', 2);
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined) {
    // An embedded IPv4 address (`64:ff9b::1.2.3.4`) fills two groups.
    const tailGroups = tail === '' ? 0 : tail.split(':').reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
    while (groups.length < 8 - tailGroups) groups.push('0');
    groups.push(...(tail === '' ? [] : tail.split(':')));
  }
  return groups.slice(0, 4).map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? Number.parseInt(group, 16).toString(16) : group));
}
