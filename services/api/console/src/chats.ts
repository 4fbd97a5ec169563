import type { Chat, ChatqClient } from '@chatq/client';
import { useEffect, useState } from 'preact/hooks';
import { ErrorLine, html, SelectField, when } from './ui.ts';

const STATUSES = ['idle', 'pending', 'running', 'requires_action', 'awaiting_approval', 'error'] as const;
const PAGE_SIZE = 20;

interface Filters {
  q: string;
  status: '' | (typeof STATUSES)[number];
  archived: 'false' | 'true' | '';
}

/** The caller's chats, newest first: search, status and archived filters, cursor pages. */
export function ChatList({ client }: { client: ChatqClient }) {
  const [filters, setFilters] = useState<Filters>({ q: '', status: '', archived: 'false' });
  // The cursors of the pages before this one: Previous pops, Next pushes.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<{ data: Chat[]; next_cursor: string | null; has_more: boolean }>();
  const [error, setError] = useState<unknown>();
  const after = cursors[cursors.length - 1];

  useEffect(() => {
    let live = true;
    client
      .listChats({
        query: {
          limit: PAGE_SIZE,
          after,
          q: filters.q || undefined,
          status: filters.status || undefined,
          archived: filters.archived === '' ? undefined : filters.archived === 'true',
        },
      })
      .then(({ body }) => live && (setPage(body), setError(undefined)))
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [client, filters, after]);

  const filter = (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    setFilters({
      q: String(form.get('q') ?? '').trim(),
      status: String(form.get('status') ?? '') as Filters['status'],
      archived: String(form.get('archived') ?? '') as Filters['archived'],
    });
    setCursors([undefined]);
  };
  const newChat = async () => {
    try {
      const { body } = await client.createChat({ body: {} });
      location.hash = `#/chats/${body.chat.id}`;
    } catch (err) {
      setError(err);
    }
  };

  // The filter controls are uncontrolled: a page arriving must not reset what is being typed.
  return html`<section aria-labelledby="chats-title">
    <div class="bar">
      <h1 id="chats-title">Chats</h1>
      <button type="button" onClick=${newChat}>New chat</button>
    </div>
    <form class="filters" role="search" onSubmit=${filter}>
      <label>Search <input name="q" type="search" maxlength="200" /></label>
      <${SelectField} label="Status" name="status">
        <option value="">any</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      <//>
      <${SelectField} label="Archived" name="archived">
        <option value="false" selected>not archived</option>
        <option value="true">archived</option>
        <option value="">both</option>
      <//>
      <button type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${
      page &&
      (page.data.length === 0
        ? html`<p>No chats.</p>`
        : html`<ul class="chats">
            ${page.data.map(
              (chat) =>
                html`<li>
                  <a href="#/chats/${chat.id}">${chat.title || 'Untitled chat'}</a>
                  <span class="status status-${chat.status}">${chat.status}</span>
                  ${chat.archived ? html`<span class="tag">archived</span>` : null}
                  <time datetime=${chat.updated_at}>${when(chat.updated_at)}</time>
                </li>`,
            )}
          </ul>`)
    }
    <div class="pager">
      <button type="button" disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>
        Previous
      </button>
      <button
        type="button"
        disabled=${!page?.has_more}
        onClick=${() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}
      >
        Next
      </button>
    </div>
  </section>`;
}
