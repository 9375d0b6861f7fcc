/**
 * The message search box: full-text search over the viewer's rooms; a result
 * opens its room at that message. Mounted into the sidebar by main.ts.
 */
import { request } from './api';
import { h } from './dom';
import { graphql } from './gql';

export const SearchMessages = graphql(`
  query SearchMessages($query: String!, $after: String) {
    searchMessages(query: $query, first: 20, after: $after) {
      edges { cursor node { id roomId seq body sender { displayName } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export interface SearchContext {
  token: () => string | null;
  onError: (error: unknown) => void;
  /** Opens a room of the viewer's and shows the message with this seq. */
  openAt: (roomId: string, seq: number) => void;
}

/** Adds the search form and its results after `anchor`. */
export function mountMessageSearch(anchor: HTMLElement, ctx: SearchContext): void {
  const input = h('input', { name: 'query', type: 'search', placeholder: 'Search messages', 'aria-label': 'Find words in your rooms' });
  const form = h('form', { id: 'message-search', class: 'inline' }, input, h('button', { type: 'submit' }, 'Find'));
  const results = h('ul', { id: 'message-search-results', class: 'search-results' });
  anchor.after(form, results);
  let count = 0;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = input.value.trim();
    const token = ctx.token();
    const mine = ++count;
    if (!query || !token) {
      results.replaceChildren();
      return;
    }
    request(SearchMessages, { query, after: null }, token).then(
      ({ searchMessages }) => {
        if (mine !== count) return;
        const items = searchMessages.edges.map(({ node }) => {
          const item = h('li', { class: 'message-hit', 'data-message-id': node.id }, h('span', { class: 'sender' }, node.sender?.displayName ?? ''), ` ${node.body}`);
          item.addEventListener('click', () => ctx.openAt(node.roomId, node.seq));
          return item;
        });
        results.replaceChildren(...(items.length ? items : [h('li', { class: 'hint' }, 'No messages found')]));
      },
      (err: unknown) => ctx.onError(err),
    );
  });
}
