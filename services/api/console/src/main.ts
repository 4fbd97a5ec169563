// The chatq web console: a token sign-in, then chats and the admin pages, on the public API only.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { resume, type Session, signIn, signOut } from './api.ts';
import { AdminPage, ADMIN_PAGES } from './admin.ts';
import { ChatView } from './chat.ts';
import { ChatList } from './chats.ts';
import { ErrorLine, html } from './ui.ts';

/** The page the hash names: `#/chats`, `#/chats/<id>`, `#/admin/<page>`. */
function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function SignIn({ onSession }: { onSession: (s: Session) => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const token = new FormData(e.target as HTMLFormElement).get('token');
    setBusy(true);
    try {
      onSession(await signIn(String(token ?? '')));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>chatq console</h1>
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required autofocus />
      <button type="submit" disabled=${busy}>Sign in</button>
      <${ErrorLine} error=${error} />
    </form>
    <p class="hint">The token stays in this tab's session storage and is sent only to this server.</p>
  </main>`;
}

function Nav({ session, route, onSignOut }: { session: Session; route: string[]; onSignOut: () => void }) {
  const here = route.join('/');
  const link = (href: string, label: string) =>
    html`<li><a href="#/${href}" aria-current=${here.startsWith(href) ? 'page' : undefined}>${label}</a></li>`;
  return html`<header>
    <nav aria-label="Main">
      <ul>
        ${link('chats', 'Chats')}
        ${session.user.role === 'admin' ? ADMIN_PAGES.map((p) => link(`admin/${p.path}`, p.title)) : null}
      </ul>
    </nav>
    <span class="who">${session.user.username}</span>
    <button type="button" class="link" onClick=${onSignOut}>Sign out</button>
  </header>`;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    void resume().then((s) => setSession(s ?? null));
  }, []);
  if (session === undefined) return html`<p class="loading">Loading…</p>`;
  if (session === null) return html`<${SignIn} onSession=${setSession} />`;
  const [section, id] = route;
  let page;
  if (section === 'admin' && session.user.role === 'admin') {
    page = html`<${AdminPage} key=${id} client=${session.client} page=${id ?? 'providers'} />`;
  } else if (section === 'chats' && id) {
    page = html`<${ChatView} key=${id} client=${session.client} chatId=${id} />`;
  } else {
    page = html`<${ChatList} client=${session.client} />`;
  }
  const out = () => {
    signOut();
    setSession(null);
  };
  return html`<${Nav} session=${session} route=${route} onSignOut=${out} />
    <main>${page}</main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
