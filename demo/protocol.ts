/**
 * The messages between the demo's conductor (demo/cluster.ts) and its
 * member processes (demo/member.ts), over Node's IPC channel.
 */
import type { ConfigurationServer } from '../src/index.js';

export type Command =
  | { readonly op: 'join'; readonly seq: number; readonly targets: readonly string[] }
  | { readonly op: 'leave'; readonly seq: number; readonly targets: readonly string[] }
  | { readonly op: 'status'; readonly seq: number };

export interface Status {
  readonly id: string;
  readonly address: string;
  readonly state: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly leader: string;
  readonly configuration: readonly ConfigurationServer[];
}

/**
 * What the client did on the way to an answer, as its diagnostics channels
 * told it: each `different_leader` answer it followed, each failed attempt.
 */
export type Step =
  | { readonly kind: 'redirect'; readonly from: string; readonly leader: string }
  | { readonly kind: 'retry'; readonly error: string };

export type Reply =
  | { readonly op: 'ready'; readonly id: string; readonly address: string }
  | { readonly op: 'done'; readonly seq: number; readonly index?: number; readonly ms: number; readonly steps: readonly Step[] }
  | { readonly op: 'failed'; readonly seq: number; readonly error: string }
  | { readonly op: 'status'; readonly seq: number; readonly status: Status };
