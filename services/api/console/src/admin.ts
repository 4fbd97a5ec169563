import type { ChatqClient, ModelConfig, Provider, ResponseBody, User } from '@chatq/client';
import { AUDIT_ACTIONS, type AuditAction } from '@chatq/contracts';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { dollars, ErrorLine, html, json, SelectField, when } from './ui.ts';

interface PageOf<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}
type Load<T> = (after: string | undefined) => Promise<{ body: PageOf<T> }>;

/** A cursor-paged list: Previous and Next, and `reload` bumps to re-read the current page. */
function usePaged<T>(load: Load<T>, reload: number) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<PageOf<T>>();
  const [error, setError] = useState<unknown>();
  const after = cursors[cursors.length - 1];
  useEffect(() => {
    let live = true;
    load(after)
      .then(({ body }) => live && (setPage(body), setError(undefined)))
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [after, reload]);
  const pager = html`<div class="pager">
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
  </div>`;
  return { rows: page?.data ?? [], error, pager };
}

/** Runs a change and then `after`; its refusal is kept to show, as the API wrote it. */
function useAction(after: () => void) {
  const [error, setError] = useState<unknown>();
  const run = (change: () => Promise<unknown>) => async () => {
    try {
      await change();
      setError(undefined);
    } catch (err) {
      setError(err);
    }
    after();
  };
  return { run, error };
}

function Table({ caption, head, rows }: { caption: string; head: string[]; rows: ComponentChildren[][] }) {
  return html`<div class="scroll">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${head.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${
          rows.length === 0
            ? html`<tr>
                <td colspan=${head.length}>None yet.</td>
              </tr>`
            : rows.map(
                (r) =>
                  html`<tr>
                    ${r.map((c) => html`<td>${c}</td>`)}
                  </tr>`,
              )
        }
      </tbody>
    </table>
  </div>`;
}

/** A create form: runs `submit` with the form's fields, shows the API's refusal as it wrote it. */
function CreateForm(props: {
  legend: string;
  submit: (f: FormData) => Promise<unknown>;
  children: ComponentChildren;
  onDone: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    try {
      await props.submit(new FormData(form));
      setError(undefined);
      form.reset();
      props.onDone();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="create" onSubmit=${onSubmit}>
    <fieldset>
      <legend>${props.legend}</legend>
      ${props.children}
      <button type="submit">Create</button>
      <${ErrorLine} error=${error} />
    </fieldset>
  </form>`;
}

const text = (f: FormData, name: string) => String(f.get(name) ?? '').trim() || undefined;
const field = (label: string, name: string, attrs: Record<string, unknown> = {}) =>
  html`<label>${label} <input name=${name} ...${attrs} /></label>`;

type PageProps = { client: ChatqClient };

function Providers({ client }: PageProps) {
  const [reload, setReload] = useState(0);
  const [results, setResults] = useState<Record<string, string>>({});
  const { rows, error, pager } = usePaged<Provider>(
    (after) => client.listProviders({ query: { limit: 20, after } }),
    reload,
  );
  const [testModel, setTestModel] = useState('');
  const test = (p: Provider) => async () => {
    setResults((r) => ({ ...r, [p.id]: 'testing…' }));
    try {
      // The model to call, when given; else the provider's first enabled model config.
      const model = testModel.trim() || undefined;
      const { body } = await client.testProvider({ params: { id: p.id }, body: { model } });
      const outcome = body.ok ? `ok in ${body.latency_ms} ms` : `failed: ${body.error ?? 'unknown error'}`;
      setResults((r) => ({ ...r, [p.id]: outcome }));
    } catch (err) {
      setResults((r) => ({ ...r, [p.id]: err instanceof Error ? err.message : String(err) }));
    }
  };
  return html`<h1>Providers</h1>
    <${ErrorLine} error=${error} />
    <label
      >Model to test with (optional)
      <input
        maxlength="200"
        placeholder="gpt-4o-mini"
        onInput=${(e: Event) => setTestModel((e.target as HTMLInputElement).value)}
      />
    </label>
    <${Table}
      caption="Providers"
      head=${['Name', 'Kind', 'Base URL', 'API key', 'Test']}
      rows=${rows.map((p) => [
        p.name,
        p.kind,
        p.base_url ?? '—',
        p.has_api_key ? 'set' : 'none',
        html`<button type="button" onClick=${test(p)} aria-label="Test provider ${p.name}">Test</button>
          <output>${results[p.id]}</output>`,
      ])}
    />
    ${pager}
    <${CreateForm}
      legend="New provider"
      onDone=${() => setReload(reload + 1)}
      submit=${(f: FormData) =>
        client.createProvider({
          body: {
            name: text(f, 'name') ?? '',
            kind: String(f.get('kind')) as Provider['kind'],
            base_url: text(f, 'base_url'),
            api_key: text(f, 'api_key'),
          },
        })}
    >
      ${field('Name', 'name', { required: true, maxlength: 100 })}
      <${SelectField} label="Kind" name="kind">
        ${['openai', 'anthropic', 'google', 'openai-compatible', 'mock'].map((k) => html`<option>${k}</option>`)}
      <//>
      ${field('Base URL', 'base_url', { type: 'url' })}
      ${field('API key', 'api_key', { type: 'password', autocomplete: 'off' })}
    <//>`;
}

function Models({ client }: PageProps) {
  const [reload, setReload] = useState(0);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [providersError, setProvidersError] = useState<unknown>();
  useEffect(() => {
    void client
      .listProviders({ query: { limit: 100 } })
      .then(({ body }) => (setProviders(body.data), setProvidersError(undefined)), setProvidersError);
  }, [reload]);
  const { rows, error, pager } = usePaged<ModelConfig>(
    (after) => client.listModelConfigs({ query: { limit: 20, after } }),
    reload,
  );
  const action = useAction(() => setReload((n) => n + 1));
  const toggle = (m: ModelConfig) =>
    action.run(() => client.updateModelConfig({ params: { id: m.id }, body: { enabled: !m.enabled } }));
  const providerName = (id: string) => providers.find((p) => p.id === id)?.name ?? id.slice(0, 8);
  return html`<h1>Model configs</h1>
    <${ErrorLine} error=${error ?? providersError ?? action.error} />
    <${Table}
      caption="Model configs"
      head=${['Display name', 'Model', 'Provider', 'Default', 'Prices (in/out per Mtok)', 'Enabled']}
      rows=${rows.map((m) => [
        m.display_name ?? '—',
        m.model,
        providerName(m.provider_id),
        m.is_default ? 'yes' : '',
        `${m.input_price_per_mtok ?? '—'} / ${m.output_price_per_mtok ?? '—'}`,
        html`${m.enabled ? 'yes' : 'no'}
          <button
            type="button"
            class="link"
            onClick=${toggle(m)}
            aria-label="${m.enabled ? 'Disable' : 'Enable'} ${m.model}"
          >
            ${m.enabled ? 'Disable' : 'Enable'}
          </button>`,
      ])}
    />
    ${pager}
    <${CreateForm}
      legend="New model config"
      onDone=${() => setReload(reload + 1)}
      submit=${(f: FormData) =>
        client.createModelConfig({
          body: {
            provider_id: String(f.get('provider_id')),
            model: text(f, 'model') ?? '',
            display_name: text(f, 'display_name'),
            is_default: f.get('is_default') === 'on',
          },
        })}
    >
      <${SelectField} label="Provider" name="provider_id">
        ${providers.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
      <//>
      ${field('Model', 'model', { required: true, maxlength: 200 })}
      ${field('Display name', 'display_name', { maxlength: 200 })}
      <label><input type="checkbox" name="is_default" /> Default</label>
    <//>`;
}

function Tools({ client }: PageProps) {
  const [reload, setReload] = useState(0);
  const tools = usePaged((after) => client.listTools({ query: { limit: 20, after } }), reload);
  const servers = usePaged((after) => client.listMcpServers({ query: { limit: 20, after } }), reload);
  return html`<h1>Tools and MCP servers</h1>
    <${ErrorLine} error=${tools.error ?? servers.error} />
    <${Table}
      caption="Tools"
      head=${['Name', 'Kind', 'URL', 'Approval', 'Enabled']}
      rows=${tools.rows.map((t) => [t.name, t.kind, t.url ?? '—', t.requires_approval ? 'required' : '', t.enabled ? 'yes' : 'no'])}
    />
    ${tools.pager}
    <${CreateForm}
      legend="New webhook tool"
      onDone=${() => setReload(reload + 1)}
      submit=${(f: FormData) =>
        client.createTool({
          body: {
            name: text(f, 'name') ?? '',
            description: text(f, 'description') ?? '',
            kind: 'webhook',
            url: text(f, 'url'),
            input_schema: { type: 'object' },
            requires_approval: f.get('requires_approval') === 'on',
          },
        })}
    >
      ${field('Tool name', 'name', { required: true })} ${field('Description', 'description', { required: true })}
      ${field('Webhook URL', 'url', { type: 'url', required: true })}
      <label><input type="checkbox" name="requires_approval" /> Requires approval</label>
    <//>
    <${Table}
      caption="MCP servers"
      head=${['Name', 'URL', 'Allowed tools', 'Approval', 'Enabled']}
      rows=${servers.rows.map((s) => [
        s.name,
        s.url,
        s.allowed_tools?.join(', ') ?? 'all',
        s.requires_approval ? 'required' : '',
        s.enabled ? 'yes' : 'no',
      ])}
    />
    ${servers.pager}
    <${CreateForm}
      legend="New MCP server"
      onDone=${() => setReload(reload + 1)}
      submit=${(f: FormData) => client.createMcpServer({ body: { name: text(f, 'name') ?? '', url: text(f, 'url') ?? '' } })}
    >
      ${field('Server name', 'name', { required: true })} ${field('Server URL', 'url', { type: 'url', required: true })}
    <//>`;
}

function Tokens({ client, user }: PageProps & { user: User }) {
  const [reload, setReload] = useState(0);
  const [minted, setMinted] = useState<string>();
  const { rows, error, pager } = usePaged(
    (after) => client.listTokens({ params: { id: user.id }, query: { limit: 20, after } }),
    reload,
  );
  const action = useAction(() => setReload((n) => n + 1));
  const revoke = (tokenId: string) =>
    action.run(() => client.revokeToken({ params: { id: user.id, token_id: tokenId } }));
  return html`<section aria-label="Tokens of ${user.username}" class="tokens">
    <h2>Tokens of ${user.username}</h2>
    <${ErrorLine} error=${error ?? action.error} />
    <${Table}
      caption="Tokens"
      head=${['Name', 'Prefix', 'Created', 'Last used', 'Expires', '']}
      rows=${rows.map((t) => [
        t.name ?? '—',
        t.prefix ?? '—',
        when(t.created_at),
        when(t.last_used_at),
        when(t.expires_at),
        html`<button type="button" class="danger" onClick=${revoke(t.id)}>Revoke</button>`,
      ])}
    />
    ${pager}
    <${CreateForm}
      legend="New token"
      onDone=${() => setReload(reload + 1)}
      submit=${async (f: FormData) => {
        const { body } = await client.createToken({ params: { id: user.id }, body: { name: text(f, 'name') } });
        setMinted(body.token);
      }}
    >
      ${field('Token name', 'name', { maxlength: 100 })}
    <//>
    ${minted && html`<p role="status">New token (shown once): <code class="secret">${minted}</code></p>`}
  </section>`;
}

function Users({ client }: PageProps) {
  const [reload, setReload] = useState(0);
  const [selected, setSelected] = useState<User>();
  const { rows, error, pager } = usePaged<User>((after) => client.listUsers({ query: { limit: 20, after } }), reload);
  const action = useAction(() => setReload((n) => n + 1));
  const toggle = (u: User) =>
    action.run(() => client.updateUser({ params: { id: u.id }, body: { disabled: !u.disabled } }));
  return html`<h1>Users and tokens</h1>
    <${ErrorLine} error=${error ?? action.error} />
    <${Table}
      caption="Users"
      head=${['Username', 'Role', 'Created', 'Status', 'Tokens']}
      rows=${rows.map((u) => [
        u.username,
        u.role,
        when(u.created_at),
        html`${u.disabled ? 'disabled' : 'active'}
          <button
            type="button"
            class="link"
            onClick=${toggle(u)}
            aria-label="${u.disabled ? 'Enable' : 'Disable'} ${u.username}"
          >
            ${u.disabled ? 'Enable' : 'Disable'}
          </button>`,
        html`<button type="button" onClick=${() => setSelected(u)} aria-label="Tokens of ${u.username}">
          Tokens
        </button>`,
      ])}
    />
    ${pager}
    <${CreateForm}
      legend="New user"
      onDone=${() => setReload(reload + 1)}
      submit=${(f: FormData) =>
        client.createUser({
          body: { username: text(f, 'username') ?? '', role: f.get('admin') === 'on' ? 'admin' : 'member' },
        })}
    >
      ${field('Username', 'username', { required: true, maxlength: 64 })}
      <label><input type="checkbox" name="admin" /> Admin</label>
    <//>
    ${selected && html`<${Tokens} key=${selected.id} client=${client} user=${selected} />`}`;
}

/** Usernames by id, for the reports and the audit log (the first 500 users). */
function useUsernames(client: ChatqClient): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    void (async () => {
      const all = new Map<string, string>();
      for await (const user of client.paginate('listUsers', { query: { limit: 100 } })) {
        all.set(user.id, user.username);
        if (all.size >= 500) break;
      }
      setNames(all);
    })().catch(() => undefined);
  }, [client]);
  return names;
}

type Report = ResponseBody<'getUsageReport', 200>;

/** The UTC days (`2025-06-15`) of the last `n`, oldest first, today included. */
function lastDays(n: number): string[] {
  const today = Date.now();
  return Array.from({ length: n }, (_, i) => new Date(today - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** The usage report over a period: per day as a chart, and per user. */
function Usage({ client }: PageProps) {
  const [days, setDays] = useState(30);
  const [byDay, setByDay] = useState<Report>();
  const [byUser, setByUser] = useState<Report>();
  const [error, setError] = useState<unknown>();
  const names = useUsernames(client);
  useEffect(() => {
    const from = new Date(Date.now() - days * 86_400_000).toISOString();
    Promise.all([
      client.getUsageReport({ query: { group_by: 'day', from } }),
      client.getUsageReport({ query: { group_by: 'user', from } }),
    ])
      .then(([day, user]) => {
        setByDay(day.body);
        setByUser(user.body);
        setError(undefined);
      })
      .catch(setError);
  }, [days]);
  const tokens = (r: Report['total']) => r.input_tokens + r.output_tokens;
  // Cost when any model was priced, else tokens: a bar of unpriced replies is not $0.
  const priced = byDay?.data.some((r) => r.cost_micros !== null) ?? false;
  // Every day of the period gets a bar, the days without replies an empty one.
  const rows = new Map((byDay?.data ?? []).map((r) => [r.key, r]));
  const bars = lastDays(days).map((day) => {
    const r = rows.get(day);
    return {
      day,
      value: r ? (priced ? (r.cost_micros ?? 0) : tokens(r)) : 0,
      label: r ? (priced ? dollars(r.cost_micros) : `${tokens(r)} tokens`) : 'nothing',
    };
  });
  return html`<h1>Usage</h1>
    <${SelectField}
      label="Period"
      value=${days}
      onChange=${(e: Event) => setDays(Number((e.target as HTMLSelectElement).value))}
    >
      <option value="1">last day</option>
      <option value="7">last 7 days</option>
      <option value="30">last 30 days</option>
    <//>
    <${ErrorLine} error=${error} />
    ${
      byDay &&
      html`<p>Total: ${byDay.total.turns} turns, ${tokens(byDay.total)} tokens, ${dollars(byDay.total.cost_micros)}</p>`
    }
    <${DayChart} rows=${bars} />
    <${Table}
      caption="Usage by day"
      head=${['Day (UTC)', 'Turns', 'Tokens', 'Cost']}
      rows=${(byDay?.data ?? []).map((r) => [r.key, r.turns, tokens(r), dollars(r.cost_micros)])}
    />
    <${Table}
      caption="Usage by user"
      head=${['User', 'Turns', 'Tokens', 'Cost']}
      rows=${(byUser?.data ?? []).map((r) => [names.get(r.key) ?? r.key, r.turns, tokens(r), dollars(r.cost_micros)])}
    />`;
}

/** One bar per day: cost when the models are priced, else tokens. An SVG: no inline styles needed. */
function DayChart({ rows }: { rows: { day: string; value: number; label: string }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const w = 24;
  const h = 120;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${Math.max(1, rows.length) * w} ${h + 16}" role="img" aria-label="Usage per day">
      ${rows.map((r, i) => {
        const bar = Math.round((r.value / max) * h);
        return html`<g>
          <title>${r.day}: ${r.label}</title>
          <rect x=${i * w + 3} y=${h - bar} width=${w - 6} height=${bar} class="bar" />
          <text x=${i * w + w / 2} y=${h + 12} text-anchor="middle" class="axis">${r.day.slice(8, 10)}</text>
        </g>`;
      })}
    </svg>
    <figcaption>Per day, UTC</figcaption>
  </figure>`;
}

function Audit({ client }: PageProps) {
  const [action, setAction] = useState<AuditAction | ''>('');
  return html`<h1>Audit log</h1>
    <form
      class="filters"
      onSubmit=${(e: SubmitEvent) => {
        e.preventDefault();
        setAction(String(new FormData(e.target as HTMLFormElement).get('action') ?? '') as AuditAction | '');
      }}
    >
      <${SelectField} label="Action" name="action">
        <option value="">any</option>
        ${AUDIT_ACTIONS.map((a) => html`<option value=${a}>${a}</option>`)}
      <//>
      <button type="submit">Filter</button>
    </form>
    <${AuditTable} key=${action} client=${client} action=${action} />`;
}

/** The events with one filter, from the newest: a new filter is a new table (back on page one). */
function AuditTable({ client, action }: PageProps & { action: AuditAction | '' }) {
  const names = useUsernames(client);
  const { rows, error, pager } = usePaged(
    (after) => client.listAuditEvents({ query: { limit: 20, after, action: action || undefined } }),
    0,
  );
  return html`<${ErrorLine} error=${error} />
    <${Table}
      caption="Audit events, newest first"
      head=${['When', 'Action', 'Target', 'Actor', 'IP', 'Changes']}
      rows=${rows.map((e) => [
        when(e.at),
        e.action,
        `${e.target_type} ${e.target_id ?? ''}`,
        e.actor_id ? (names.get(e.actor_id) ?? e.actor_id) : 'chatq',
        e.ip ?? '—',
        html`<code>${json(e.changes)}</code>`,
      ])}
    />
    ${pager}`;
}

function LimitRow({ client, user }: PageProps & { user: User }) {
  const [limits, setLimits] = useState<ResponseBody<'getUserLimits', 200>>();
  const [error, setError] = useState<unknown>();
  const [reload, setReload] = useState(0);
  useEffect(() => {
    client.getUserLimits({ params: { id: user.id } }).then(({ body }) => setLimits(body), setError);
  }, [reload]);
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const amount = String(f.get('amount') ?? '').trim();
    const spend_limit =
      amount === ''
        ? null
        : {
            amount_micros: Math.round(Number(amount) * 1_000_000),
            period: String(f.get('period')) as NonNullable<User['spend_limit']>['period'],
          };
    try {
      await client.updateUser({ params: { id: user.id }, body: { spend_limit } });
      setError(undefined);
      setReload(reload + 1);
    } catch (err) {
      setError(err);
    }
  };
  return html`<tr>
    <td>${user.username}</td>
    <td>${limits ? `${dollars(limits.spent_micros)} spent, ${dollars(limits.reserved_micros)} reserved` : '…'}</td>
    <td>${limits ? when(limits.resets_at) : ''}</td>
    <td>
      ${
        limits &&
        html`<form class="row" onSubmit=${save} aria-label="Spend limit of ${user.username}">
          <label
            >Limit in dollars (empty: none)
            <input
              name="amount"
              type="number"
              min="0"
              step="0.01"
              defaultValue=${limits.spend_limit ? limits.spend_limit.amount_micros / 1_000_000 : ''}
            />
          </label>
          <${SelectField} label="Period" name="period">
            <option value="month" selected=${limits.spend_limit?.period !== 'day'}>month</option>
            <option value="day" selected=${limits.spend_limit?.period === 'day'}>day</option>
          <//>
          <button type="submit">Save limit</button>
        </form>`
      }
      <${ErrorLine} error=${error} />
    </td>
  </tr>`;
}

function Limits({ client }: PageProps) {
  const { rows, error, pager } = usePaged<User>((after) => client.listUsers({ query: { limit: 20, after } }), 0);
  return html`<h1>Spend limits</h1>
    <${ErrorLine} error=${error} />
    <div class="scroll">
      <table>
        <caption>
          Spend limits per user (calendar UTC periods)
        </caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">This period</th>
            <th scope="col">Resets</th>
            <th scope="col">Limit</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map((u) => html`<${LimitRow} key=${u.id} client=${client} user=${u} />`)}
        </tbody>
      </table>
    </div>
    ${pager}`;
}

/** The admin pages, in the order the navigation lists them. */
export const ADMIN_PAGES = [
  { path: 'providers', title: 'Providers', view: Providers },
  { path: 'models', title: 'Models', view: Models },
  { path: 'tools', title: 'Tools', view: Tools },
  { path: 'users', title: 'Users', view: Users },
  { path: 'limits', title: 'Limits', view: Limits },
  { path: 'usage', title: 'Usage', view: Usage },
  { path: 'audit', title: 'Audit', view: Audit },
];

export function AdminPage({ client, page }: PageProps & { page: string }) {
  const found = ADMIN_PAGES.find((p) => p.path === page);
  if (!found) return html`<p>No such page.</p>`;
  return html`<section class="admin"><${found.view} client=${client} /></section>`;
}
