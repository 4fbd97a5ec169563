import { ChatqClient, type User } from '@chatq/client';

/** sessionStorage only: the token leaves with the tab, and never goes into a URL or a log. */
const TOKEN_KEY = 'chatq.token';

/** The signed-in caller and a typed client as them. */
export interface Session {
  client: ChatqClient;
  user: User;
}

/** Checks the token against `GET /users/me` and keeps it for this tab. */
export async function signIn(token: string): Promise<Session> {
  const client = new ChatqClient({ baseUrl: location.origin, token: token.trim() });
  const { body } = await client.getMe();
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return { client, user: body.user };
}

/** The session of this tab, when a token is kept and still valid. */
export async function resume(): Promise<Session | undefined> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return undefined;
  try {
    return await signIn(token);
  } catch {
    sessionStorage.removeItem(TOKEN_KEY);
    return undefined;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
