import { ReplyStatus } from '../../protocol/preamble.js';
import { Requirement, fail, pass, skip, type CaseDefinition, type Verdict } from '../case.js';
import { describeEnd, hex } from '../wire-peer.js';
import { describeReply, type HelloFields, type ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must, Should } = Requirement;

/** A name that is not the target's: its own name plus a suffix (a named hello for an unnamed target). */
const otherName = (c: ServerContext): Buffer => Buffer.from(`${c.options.clusterName || 'rftm-conformance'}-other`, 'utf8');
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x41]);

/** A case that sends one hello and expects one refusal. */
function refusal(name: string, row: string, description: string, fields: (c: ServerContext) => HelloFields, status: ReplyStatus): ServerCase {
  return {
    name,
    section: '§2',
    row,
    requirement: Must,
    description,
    async run(c) {
      const peer = await c.open();
      peer.send(c.hello(fields(c)));
      return c.refusedHello(peer, status);
    },
  };
}

/** §2 and §3: how a server judges a hello, and the replies it sends. */
export const preambleCases: readonly ServerCase[] = [
  {
    name: 'hello.accepted',
    section: '§2',
    row: '10',
    requirement: Must,
    description: 'A valid membership hello, on a server without a secret, is answered Accepted with an empty detail.',
    async run(c) {
      if (c.options.secret) return skip('the target has a shared secret: row 9 applies (hello.challenge)');
      const got = await c.helloReply();
      if ('verdict' in got) return got.verdict;
      const ok = got.reply.status === ReplyStatus.Accepted && got.reply.detail.length === 0;
      return ok ? pass('Accepted, empty detail') : fail(`replied ${describeReply(got.reply)}`);
    },
  },
  {
    name: 'hello.trickled',
    section: '§2',
    requirement: Must,
    description: 'A hello that arrives one byte per TCP segment is read as a whole and accepted like any other.',
    async run(c) {
      const peer = await c.open();
      await peer.trickle(c.hello(), 5);
      const read = await peer.readReply(c.options.waitMs);
      if (!read.ok) return fail(`no reply: ${describeEnd(read)}`);
      const expected = c.options.secret ? ReplyStatus.Challenge : ReplyStatus.Accepted;
      return read.reply.status === expected ? pass(describeReply(read.reply)) : fail(`replied ${describeReply(read.reply)}`);
    },
  },
  refusal('hello.bad-magic', '1', 'A hello whose magic is `RFTX` is refused with BadPreamble.', () => ({ magic: Buffer.from('RFTX') }), ReplyStatus.BadPreamble),
  {
    name: 'hello.bad-magic-at-once',
    section: '§2',
    row: '1',
    requirement: Should,
    description: 'A connection whose first byte is not `R` is refused with BadPreamble at once, before more bytes come.',
    async run(c) {
      const peer = await c.open();
      peer.send(Buffer.from('X'));
      return c.refusedHello(peer, ReplyStatus.BadPreamble);
    },
  },
  refusal('hello.version-2', '2', 'A hello asking for version 2 is refused with UnsupportedVersion.', () => ({ version: 2 }), ReplyStatus.UnsupportedVersion),
  refusal('hello.version-0', '2', 'A hello asking for version 0 is refused with UnsupportedVersion.', () => ({ version: 0 }), ReplyStatus.UnsupportedVersion),
  {
    name: 'hello.unsupported-version-detail',
    section: '§3',
    requirement: Must,
    description: 'UnsupportedVersion carries exactly one byte: the highest version the server speaks, not the one asked for (version 7 is asked).',
    async run(c) {
      const got = await c.helloReply(c.hello({ version: 7 }));
      if ('verdict' in got) return got.verdict;
      const { status, detail } = got.reply;
      if (status !== ReplyStatus.UnsupportedVersion) return fail(`replied ${describeReply(got.reply)}`);
      if (detail.length !== 1) return fail(`UnsupportedVersion with ${detail.length} bytes of detail (${hex(detail)}), not 1`);
      if (detail[0] === 7 || detail[0] === 0) return fail(`UnsupportedVersion naming version ${detail[0]}`);
      return pass(`UnsupportedVersion, the server speaks up to version ${detail[0]}`);
    },
  },
  refusal('hello.version-before-flags', '2', 'Version 2 with flags 1: the version is judged first (row 2 before row 3).', () => ({ version: 2, flags: 1 }), ReplyStatus.UnsupportedVersion),
  refusal(
    'hello.version-before-name',
    '2',
    'Version 2 with a name that is not UTF-8: the version is judged first (row 2 before row 4), the name being another version\'s business.',
    () => ({ version: 2, name: NOT_UTF8 }),
    ReplyStatus.UnsupportedVersion,
  ),
  {
    name: 'hello.whole-before-version',
    section: '§2',
    requirement: Must,
    description: 'A version-2 hello whose name has not all arrived gets no reply until it has: the server reads the whole hello before judging its version.',
    async run(c) {
      const peer = await c.open();
      const hello = c.hello({ version: 2, name: Buffer.from('rftm-conformance') });
      peer.send(hello.subarray(0, 11));
      // Well within the preamble deadline, which would end the connection.
      const early = await peer.quiet(Math.min(c.options.quietMs, Math.floor(c.options.preambleTimeoutMs / 3)));
      if (early.length > 0) return fail(`replied ${hex(early)} before the name had arrived`);
      if (peer.ended) return fail(`the connection ended before the hello was whole (${peer.ended})`);
      peer.send(hello.subarray(11));
      return c.refusedHello(peer, ReplyStatus.UnsupportedVersion);
    },
  },
  refusal('hello.flags', '3', 'A hello with flags 1 is refused with BadPreamble.', () => ({ flags: 1 }), ReplyStatus.BadPreamble),
  refusal('hello.flags-high-bit', '3', 'A hello with flags 0x80 is refused with BadPreamble.', () => ({ flags: 0x80 }), ReplyStatus.BadPreamble),
  refusal('hello.name-not-utf8', '4', 'A cluster name that is not valid UTF-8 is refused with BadPreamble.', () => ({ name: NOT_UTF8 }), ReplyStatus.BadPreamble),
  refusal(
    'hello.name-before-channel',
    '4',
    'A name that is not UTF-8 on channel 3: the name is judged first (row 4 before row 5).',
    () => ({ name: NOT_UTF8, channel: 3 }),
    ReplyStatus.BadPreamble,
  ),
  refusal('hello.channel-3', '5', 'Channel 3 is refused with UnknownChannel.', () => ({ channel: 3 }), ReplyStatus.UnknownChannel),
  refusal('hello.channel-0', '5', 'Channel 0 is refused with UnknownChannel.', () => ({ channel: 0 }), ReplyStatus.UnknownChannel),
  refusal(
    'hello.channel-before-cluster',
    '5',
    'Channel 3 with a wrong cluster name: the channel is judged first (row 5 before row 6).',
    (c) => ({ channel: 3, name: otherName(c) }),
    ReplyStatus.UnknownChannel,
  ),
  refusal('hello.wrong-cluster', '6', 'A hello naming another cluster is refused with WrongCluster.', (c) => ({ name: otherName(c) }), ReplyStatus.WrongCluster),
  refusal(
    'hello.cluster-name-bytes',
    '6',
    'Names are compared byte for byte: the target\'s name followed by a NUL byte is refused with WrongCluster.',
    (c) => ({ name: Buffer.concat([Buffer.from(c.options.clusterName, 'utf8'), Buffer.from([0])]) }),
    ReplyStatus.WrongCluster,
  ),
  refusal('hello.cluster-name-255', '6', 'A 255-byte name (the longest) is read whole and refused with WrongCluster.', () => ({ name: Buffer.alloc(255, 0x61) }), ReplyStatus.WrongCluster),
  {
    name: 'hello.unnamed-to-named',
    section: '§2',
    row: '6',
    requirement: Must,
    description: 'A named server refuses a hello without a name with WrongCluster (an unnamed server refusing a named hello is hello.wrong-cluster).',
    async run(c) {
      if (c.options.clusterName === '') return skip('the target has no cluster name');
      const peer = await c.open();
      peer.send(c.hello({ name: Buffer.alloc(0) }));
      return c.refusedHello(peer, ReplyStatus.WrongCluster);
    },
  },
  {
    name: 'hello.challenge',
    section: '§2',
    row: '9',
    requirement: Must,
    description: 'A server with a shared secret answers a valid hello with Challenge carrying exactly 32 bytes.',
    needs: 'the target\'s secret (--secret-file)',
    run: (c) => challenged(c, 1),
  },
  {
    name: 'hello.challenge-raft-channel',
    section: '§2',
    row: '9',
    requirement: Must,
    description: 'Authentication applies to the raft channel too: a raft hello is answered with Challenge.',
    needs: 'the target\'s secret (--secret-file)',
    run: (c) => challenged(c, 2),
  },
  {
    name: 'hello.refusal-closes',
    section: '§3',
    requirement: Must,
    description: 'After a refusal (BadPreamble here) the server closes the connection.',
    async run(c) {
      const got = await c.helloReply(c.hello({ flags: 1 }));
      if ('verdict' in got) return got.verdict;
      const { end, received } = await got.peer.waitEnd(c.options.waitMs);
      if (received.length > 0) return fail(`sent ${received.length} more bytes after the refusal`);
      return end === 'timeout' ? fail(`still open ${c.options.waitMs} ms after the refusal`) : pass(`refused with ${describeReply(got.reply)}, then ${end}`);
    },
  },
  {
    name: 'hello.refusal-half-close',
    section: '§3',
    requirement: Should,
    description: 'A refusal is followed by a half-close, not a reset, so that the reply survives bytes the dialer sent meanwhile (64 KiB follow the bad hello).',
    async run(c) {
      const peer = await c.open();
      peer.send(Buffer.concat([c.hello({ flags: 1 }), Buffer.alloc(65_536, 0x5a)]));
      const read = await peer.readReply(c.options.waitMs);
      if (!read.ok) return fail(`the reply was lost: ${describeEnd(read)}`);
      const { end } = await peer.waitEnd(c.options.waitMs);
      if (end === 'reset') return fail(`${describeReply(read.reply)} arrived, then the connection was reset`);
      return end === 'closed' ? pass(`${describeReply(read.reply)}, then a close`) : fail(`still open ${c.options.waitMs} ms after the refusal`);
    },
  },
  {
    name: 'hello.busy',
    section: '§2',
    row: '8',
    requirement: Must,
    description: 'At its connection limit the server refuses further connections with Busy (the kit opens up to the limit, then one more).',
    needs: 'the target\'s connection limit (--max-connections)',
    async run(c) {
      const limit = c.options.maxConnections;
      if (limit === undefined) return skip('needs the target\'s connection limit: --max-connections N');
      try {
        return await busyAt(c, limit);
      } finally {
        // The next cases need connections again: wait until the target has let these go.
        c.release();
        await untilNotBusy(c);
      }
    },
  },
];

async function busyAt(c: ServerContext, limit: number): Promise<Verdict> {
  for (let opened = 1; opened <= limit + 1; opened++) {
    let read;
    try {
      read = await c.helloReply();
    } catch (err) {
      // §9: under TLS a connection refused when accepted is closed before the handshake, without a reply.
      if (c.options.tls) return pass(`connection ${opened} of a limit of ${limit} was closed before its TLS handshake (${(err as Error).message})`);
      throw err;
    }
    if ('verdict' in read) return fail(`connection ${opened}: ${read.verdict.observed}`);
    if (read.reply.status === ReplyStatus.Busy) {
      const { end } = await read.peer.waitEnd(c.options.waitMs);
      if (end === 'timeout') return fail(`Busy at connection ${opened}, but the connection stayed open`);
      return pass(`Busy at connection ${opened} of a limit of ${limit}, then ${end}`);
    }
    const accepting = read.reply.status === ReplyStatus.Accepted || read.reply.status === ReplyStatus.Challenge;
    if (!accepting) return fail(`connection ${opened} got ${describeReply(read.reply)}`);
  }
  return fail(`accepted ${limit + 1} connections at a limit of ${limit}`);
}

async function untilNotBusy(c: ServerContext): Promise<void> {
  const until = Date.now() + c.options.waitMs;
  while (Date.now() < until) {
    // Under TLS a connection refused at the limit fails its handshake: try again.
    const read = await c.helloReply().catch(() => undefined);
    if (read && 'peer' in read) read.peer.destroy();
    if (read && 'reply' in read && read.reply.status !== ReplyStatus.Busy) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function challenged(c: ServerContext, channel: number): Promise<Verdict> {
  if (!c.options.secret) return skip('needs the target\'s shared secret: --secret-file FILE');
  const read = await c.helloReply(c.hello({ channel }));
  if ('verdict' in read) return read.verdict;
  if (read.reply.status !== ReplyStatus.Challenge) return fail(`replied ${describeReply(read.reply)}, not Challenge`);
  if (read.reply.detail.length !== 32) return fail(`Challenge with ${read.reply.detail.length} bytes, not 32`);
  return pass('Challenge with a 32-byte nonce');
}
