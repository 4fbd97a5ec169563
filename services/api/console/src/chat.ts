import type { Chat, ChatqClient, Message, ModelConfig, QueuedMessage, Turn } from '@chatq/client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ErrorLine, html, json } from './ui.ts';

/** Statuses in which the chat has a turn in flight: Stop is offered. */
const BUSY = new Set<Chat['status']>(['pending', 'running', 'requires_action', 'awaiting_approval']);
const ENDED = new Set<Turn['status']>(['completed', 'failed', 'superseded', 'cancelled']);
/** Most messages the page loads (5 pages of 100). */
const MAX_MESSAGES = 500;

type Models = Map<string, ModelConfig>;

export const modelName = (models: Models, id: string | null | undefined): string => {
  const model = id ? models.get(id) : undefined;
  return model ? (model.display_name ?? model.model) : 'unknown model';
};

/** Every model config, for display names and the pickers. */
export function useModels(client: ChatqClient): Models {
  const [models, setModels] = useState<Models>(new Map());
  useEffect(() => {
    void (async () => {
      const all = new Map<string, ModelConfig>();
      for await (const m of client.paginate('listModelConfigs', { query: { limit: 100 } })) all.set(m.id, m);
      setModels(all);
    })().catch(() => undefined);
  }, [client]);
  return models;
}

/**
 * A model select that starts on `value`. Uncontrolled (options carry `selected`): a re-render while
 * a reply streams must not undo the caller's pick, as a controlled `value` would.
 */
function ModelPicker({ models, label, name, value }: { models: Models; label: string; name: string; value: string }) {
  const id = `${name}-picker`;
  return html`<label for=${id}>${label}</label>
    <select id=${id} name=${name}>
      ${[...models.values()]
        .filter((m) => m.enabled || m.id === value)
        .map((m) => html`<option value=${m.id} selected=${m.id === value}>${m.display_name ?? m.model}</option>`)}
    </select>`;
}

interface LiveTurn {
  text: string;
  calls: { tool_call_id: string; name: string; input: unknown; output?: unknown; is_error?: boolean }[];
}

/** One chat: the conversation, the reply as it streams, the composer, edits, stops and approvals. */
export function ChatView({ client, chatId }: { client: ChatqClient; chatId: string }) {
  const models = useModels(client);
  const [chat, setChat] = useState<Chat>();
  const [messages, setMessages] = useState<Message[]>([]);
  const [queued, setQueued] = useState<QueuedMessage[]>([]);
  const [live, setLive] = useState<Record<string, LiveTurn>>({});
  const [waiting, setWaiting] = useState<Turn>();
  const [error, setError] = useState<unknown>();
  const [editing, setEditing] = useState<string>();
  const loading = useRef<{ running: boolean; again: boolean }>({ running: false, again: false });
  const done = useRef(new Set<string>());

  /** Re-reads the chat and its messages; calls made while one runs coalesce into one more. */
  const refresh = useCallback(async () => {
    if (loading.current.running) {
      loading.current.again = true;
      return;
    }
    loading.current.running = true;
    try {
      do {
        loading.current.again = false;
        const [{ body: c }, list] = await Promise.all([client.getChat({ params: { chat_id: chatId } }), readAll()]);
        setChat(c.chat);
        setMessages(list.data);
        setQueued(list.queued);
        // Replies that ended are now in the list: their streamed text goes.
        const ended = [...done.current];
        setLive((all) => Object.fromEntries(Object.entries(all).filter(([turn]) => !ended.includes(turn))));
      } while (loading.current.again);
    } catch (err) {
      setError(err);
    } finally {
      loading.current.running = false;
    }
  }, [client, chatId]);

  const readAll = async () => {
    const data: Message[] = [];
    let after: string | undefined;
    for (;;) {
      const { body } = await client.listMessages({ params: { chat_id: chatId }, query: { limit: 100, after } });
      data.push(...body.data);
      if (!body.has_more || !body.next_cursor || data.length >= MAX_MESSAGES) return { data, queued: body.queued };
      after = body.next_cursor;
    }
  };

  const checkWaiting = async (turnId: string) => {
    const { body } = await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } });
    setWaiting(['awaiting_approval', 'requires_action'].includes(body.turn.status) ? body.turn : undefined);
  };

  useEffect(() => {
    void refresh();
    const stop = new AbortController();
    void (async () => {
      // From the start of the chat's event log, so a turn waiting on an approval is found on load.
      const events = client.streamChatEvents(
        { params: { chat_id: chatId }, query: { after: '0' } },
        { signal: stop.signal, maxReconnects: 20 },
      );
      for await (const event of events) {
        switch (event.type) {
          case 'message.delta': {
            const { turn_id, text } = event.data;
            setLive((all) => ({
              ...all,
              [turn_id]: { calls: [], ...all[turn_id], text: (all[turn_id]?.text ?? '') + text },
            }));
            continue;
          }
          case 'tool.call':
          case 'tool.result': {
            const { turn_id, ...call } = event.data;
            setLive((all) => {
              const turn = all[turn_id] ?? { text: '', calls: [] };
              const calls = turn.calls.filter((c) => c.tool_call_id !== call.tool_call_id);
              const before = turn.calls.find((c) => c.tool_call_id === call.tool_call_id);
              return { ...all, [turn_id]: { ...turn, calls: [...calls, { ...before, ...call }] } };
            });
            break;
          }
          case 'message.completed':
            done.current.add(event.data.turn_id);
            break;
          case 'turn.status':
            if (ENDED.has(event.data.status)) done.current.add(event.data.turn_id);
            if (event.data.status === 'awaiting_approval' || event.data.status === 'requires_action') {
              void checkWaiting(event.data.turn_id).catch(setError);
            } else setWaiting((w) => (w?.id === event.data.turn_id ? undefined : w));
            break;
          case 'turn.approval_requested':
          case 'turn.requires_action':
            void checkWaiting(event.data.turn_id).catch(setError);
            break;
          case 'chat.status':
            setChat((c) => c && { ...c, status: event.data.status, last_error: event.data.last_error });
            break;
        }
        void refresh();
      }
    })().catch((err: unknown) => {
      if (!stop.signal.aborted) setError(err);
    });
    return () => stop.abort();
  }, [client, chatId]);

  const act = (fn: () => Promise<unknown>) => async () => {
    try {
      setError(undefined);
      await fn();
    } catch (err) {
      setError(err);
    }
  };

  const send = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const content = String(data.get('content') ?? '');
    if (!content.trim()) return;
    await act(async () => {
      await client.sendMessage({
        params: { chat_id: chatId },
        body: { content, model_config_id: String(data.get('model') || '') || undefined },
      });
      // Only the text is cleared: the picked model stays for the next message.
      (form.elements.namedItem('content') as HTMLTextAreaElement).value = '';
      void refresh();
    })();
  };

  const archive = async (archived: boolean) => {
    await client.updateChat({ params: { chat_id: chatId }, body: { archived } });
    await refresh();
  };

  if (!chat)
    return html`<${ErrorLine} error=${error} />
      <p class="loading">Loading the chat…</p>`;
  const busy = BUSY.has(chat.status);
  const streaming = Object.entries(live).filter(([turn]) => !done.current.has(turn));

  return html`<section class="chat" aria-labelledby="chat-title">
    <div class="bar">
      <h1 id="chat-title">${chat.title || 'Untitled chat'}</h1>
      <span class="status status-${chat.status}" role="status">${chat.status.replace('_', ' ')}</span>
      ${busy && html`<button type="button" class="danger" onClick=${act(() => client.interruptChat({ params: { chat_id: chatId } }))}>Stop</button>`}
      <button type="button" class="link" onClick=${act(() => archive(!chat.archived))}>
        ${chat.archived ? 'Unarchive' : 'Archive'}
      </button>
    </div>
    ${chat.last_error && html`<p class="error">Last error: ${chat.last_error}</p>`}
    <ol class="messages" aria-label="Messages">
      ${messages.map(
        (m) =>
          html`<li key=${m.id} class="message ${m.role}">
            <div class="meta">
              <strong
                >${m.role === 'user' ? 'You' : m.role === 'tool' ? 'Tool' : modelName(models, m.model_config_id)}</strong
              >
              ${m.role === 'user' && html`<span class="model">to ${modelName(models, m.model_config_id)}</span>`}
              ${m.interrupted && html`<span class="tag">stopped</span>`}
              ${
                m.role === 'user' &&
                !chat.archived &&
                html`<button
                  type="button"
                  class="link"
                  onClick=${() => setEditing(editing === m.id ? undefined : m.id)}
                >
                  Edit
                </button>`
              }
            </div>
            ${
              editing === m.id
                ? html`<${EditForm}
                    client=${client}
                    models=${models}
                    message=${m}
                    onDone=${() => (setEditing(undefined), void refresh())}
                  />`
                : html`<${Parts} message=${m} />`
            }
          </li>`,
      )}
      ${streaming.map(
        ([turn, t]) =>
          html`<li key=${turn} class="message assistant live" aria-live="polite">
            <div class="meta">
              <strong>${modelName(models, chat.last_model_config_id)}</strong> <span class="tag">replying…</span>
            </div>
            ${t.calls.map((c) => html`<${Call} call=${c} />`)}
            <p class="text">${t.text}</p>
          </li>`,
      )}
    </ol>
    ${waiting && html`<${Waiting} client=${client} turn=${waiting} onDecided=${() => (setWaiting(undefined), void refresh())} onError=${setError} />`}
    ${
      queued.length > 0 &&
      html`<section aria-label="Queued messages" class="queued">
        <h2>Queued</h2>
        <ol>
          ${queued.map(
            (q) =>
              html`<li key=${q.id}>
                <span>${q.content}</span>
                <button
                  type="button"
                  class="link"
                  onClick=${act(() => client.deleteQueuedMessage({ params: { chat_id: chatId, id: q.id } }).then(refresh))}
                >
                  Remove
                </button>
              </li>`,
          )}
        </ol>
      </section>`
    }
    <${ErrorLine} error=${error} />
    ${
      chat.archived
        ? html`<p>This chat is archived: it is read-only.</p>`
        : html`<form class="composer" onSubmit=${send}>
            <label for="composer-text">Message</label>
            <textarea id="composer-text" name="content" rows="3" maxlength="100000" required></textarea>
            <div class="row">
              <${ModelPicker} models=${models} label="Reply model" name="model" value=${chat.last_model_config_id} />
              <button type="submit">Send</button>
            </div>
          </form>`
    }
  </section>`;
}

function Call({ call }: { call: LiveTurn['calls'][number] }) {
  return html`<div class="tool">
    <div><span class="tag">tool call</span> <code>${call.name}</code> <code>${json(call.input)}</code></div>
    ${
      'output' in call &&
      html`<div>
        <span class="tag">${call.is_error ? 'tool error' : 'result'}</span> <code>${json(call.output)}</code>
      </div>`
    }
  </div>`;
}

/** A message's text, tool calls and tool results, in the order the model produced them. */
function Parts({ message }: { message: Message }) {
  if (!message.parts?.length) return html`<p class="text">${message.content}</p>`;
  return message.parts.map((part) =>
    part.type === 'text'
      ? html`<p class="text">${part.text}</p>`
      : part.type === 'tool_call'
        ? html`<div class="tool">
            <span class="tag">tool call</span> <code>${part.name}</code> <code>${json(part.input)}</code>
          </div>`
        : html`<div class="tool">
            <span class="tag">${part.is_error ? 'tool error' : 'result'}</span> <code>${part.name}</code>
            <code>${json(part.output)}</code>
          </div>`,
  );
}

function EditForm(props: { client: ChatqClient; models: Models; message: Message; onDone: () => void }) {
  const { client, models, message } = props;
  const [error, setError] = useState<unknown>();
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    try {
      await client.editMessage({
        params: { chat_id: message.chat_id, message_id: message.id },
        body: {
          content: String(data.get('content') ?? ''),
          model_config_id: String(data.get('model') ?? '') || undefined,
        },
      });
      props.onDone();
    } catch (err) {
      setError(err);
    }
  };
  const id = `edit-${message.id}`;
  return html`<form class="edit" onSubmit=${save}>
    <label for=${id}>Edit message</label>
    <textarea id=${id} name="content" rows="3" maxlength="100000" required>${message.content}</textarea>
    <div class="row">
      <${ModelPicker} models=${models} label="Model" name="model" value=${message.model_config_id ?? ''} />
      <button type="submit">Save</button>
      <button type="button" class="link" onClick=${props.onDone}>Cancel</button>
    </div>
    <${ErrorLine} error=${error} />
  </form>`;
}

/** A turn waiting on the caller: approvals to decide here, or client tools another program runs. */
function Waiting(props: { client: ChatqClient; turn: Turn; onDecided: () => void; onError: (e: unknown) => void }) {
  const { client, turn } = props;
  const decide = (tool_call_id: string, approve: boolean) => async () => {
    try {
      await client.decideApprovals({
        params: { chat_id: turn.chat_id, turn_id: turn.id },
        body: { decisions: [{ tool_call_id, approve }] },
      });
      props.onDecided();
    } catch (err) {
      props.onError(err);
    }
  };
  const calls = turn.pending_tool_calls ?? [];
  if (turn.status === 'requires_action') {
    return html`<section class="waiting" aria-label="Waiting on client tools">
      <p>
        Waiting for the client to run ${calls.length === 1 ? 'a tool' : `${calls.length} tools`} and send the results:
      </p>
      <ul>
        ${calls.map((c) => html`<li><code>${c.name}</code> <code>${json(c.input)}</code></li>`)}
      </ul>
    </section>`;
  }
  return html`<section class="waiting" aria-label="Approval needed">
    <p>The model wants to call ${calls.length === 1 ? 'a tool that needs' : 'tools that need'} your approval:</p>
    <ul>
      ${calls.map(
        (c) =>
          html`<li>
            <code>${c.name}</code> <code>${json(c.input)}</code>
            <button type="button" onClick=${decide(c.tool_call_id, true)}>Approve</button>
            <button type="button" class="danger" onClick=${decide(c.tool_call_id, false)}>Deny</button>
          </li>`,
      )}
    </ul>
  </section>`;
}
