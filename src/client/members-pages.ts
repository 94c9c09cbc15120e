import type { ConfigurationServer } from '../membership/raft.js';
import { MembershipTimeoutError } from '../membership/errors.js';
import type { ServerAddress } from '../membership/types.js';
import { InvalidMessageError } from '../protocol/errors.js';
import type { MembersResponse, SuccessResponse } from '../protocol/messages.js';

/** How many times a configuration that changed between its pages is read again from the start. */
export const MAX_PAGE_RESTARTS = 8;

/** The configuration and who answered, as `TcpChanger.members` resolves. */
export interface AllPages {
  readonly index?: number;
  readonly members: readonly ConfigurationServer[];
  readonly leader: ServerAddress;
}

/**
 * Reads a whole configuration, page by page (docs/wire-format.md §7):
 * `page(offset)` asks for the page at `offset` and resolves to the answer
 * and the server that gave it. Every `next` is followed; when the `index`
 * of a later page differs from the first's, the configuration changed in
 * between and reading starts again, at most {@link MAX_PAGE_RESTARTS}
 * times. A page whose `next` is not its offset plus its length is a
 * broken answer ({@link InvalidMessageError}), never a reason to loop.
 */
export async function readAllPages(page: (offset: number) => Promise<{ response: SuccessResponse | MembersResponse; from: ServerAddress }>): Promise<AllPages> {
  for (let restart = 0; ; restart++) {
    const { response: first, from } = await page(0);
    let members = checkedPage(first, 0);
    let next = 'next' in first ? first.next : undefined;
    let changed = false;
    while (next !== undefined) {
      const offset = next;
      const { response } = await page(offset);
      if (response.index !== first.index) {
        changed = true;
        break;
      }
      members = members.concat(checkedPage(response, offset));
      next = 'next' in response ? response.next : undefined;
    }
    if (!changed) return first.index === undefined ? { members, leader: from } : { index: first.index, members, leader: from };
    if (restart >= MAX_PAGE_RESTARTS) {
      throw new MembershipTimeoutError(`the configuration changed ${restart + 1} times while its pages were read; reading it again is safe`);
    }
  }
}

/** The servers of one page, checked against the page's `next`. */
function checkedPage(response: SuccessResponse | MembersResponse, offset: number): readonly ConfigurationServer[] {
  const members = 'members' in response ? response.members : [];
  const next = 'next' in response ? response.next : undefined;
  if (next !== undefined && (members.length === 0 || next !== offset + members.length)) {
    throw new InvalidMessageError(`members page at offset ${offset} holds ${members.length} servers but says the next page starts at ${next}`);
  }
  return members;
}
