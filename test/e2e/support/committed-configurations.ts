/**
 * Watches, while a test runs, the committed configuration every live
 * member reports, to check afterwards that committed configurations never
 * diverge and are never lost.
 */
import type { ClusterMember } from '../../../reference/cluster-member.js';
import { EntryKind, type LogEntry } from '../../../reference/raft/log.js';
import { describeServers, type E2ECluster } from './e2e-cluster.js';

/** How often the members are looked at. */
const SAMPLE_MS = 20;

/** The last configuration entry at or below `member`'s commit index. */
function committedEntry(member: ClusterMember): LogEntry | undefined {
  const { entries } = member.storage;
  for (let i = Math.min(member.raft.commitIndex, entries.length) - 1; i >= 0; i -= 1) {
    if (entries[i]!.kind === EntryKind.Configuration) return entries[i];
  }
  return undefined;
}

export class CommittedConfigurations {
  /** Configuration index → servers, as first seen committed anywhere. */
  readonly seen = new Map<number, string>();
  readonly violations: string[] = [];
  readonly #cluster: E2ECluster;
  readonly #timer: NodeJS.Timeout;

  constructor(cluster: E2ECluster) {
    this.#cluster = cluster;
    this.#timer = setInterval(() => this.sample(), SAMPLE_MS);
    cluster.onClose(() => this.stop());
  }

  /**
   * Records what each live member has committed: the configuration it
   * reports must be the one its committed log holds, and every member must
   * have committed the same configuration at a given index.
   */
  sample(): void {
    for (const member of this.#cluster.live()) {
      const entry = committedEntry(member);
      if (!entry) continue;
      const servers = describeServers(entry.servers ?? []);
      const reported = describeServers(member.raft.committedConfiguration());
      if (reported !== servers) {
        this.violations.push(`${member.id} reports ${reported} as committed, its log has ${servers} at index ${entry.index}`);
      }
      const known = this.seen.get(entry.index);
      if (known === undefined) this.seen.set(entry.index, servers);
      else if (known !== servers) this.violations.push(`index ${entry.index}: ${member.id} committed ${servers}, another ${known}`);
    }
  }

  /** Configurations seen committed that some member, having committed that far, no longer holds. */
  lost(): string[] {
    this.sample();
    const missing: string[] = [];
    for (const member of this.#cluster.members.values()) {
      for (const [index, servers] of this.seen) {
        if (index > member.raft.commitIndex) continue;
        const entry = member.storage.entries[index - 1];
        const held = entry?.kind === EntryKind.Configuration ? describeServers(entry.servers ?? []) : `a ${entry?.kind ?? 'missing'} entry`;
        if (held !== servers) missing.push(`${member.id} has ${held} at index ${index}, where ${servers} was committed`);
      }
    }
    return missing;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
