import type {
  CreateMcpServerBody,
  McpServer,
  McpToolList,
  McpToolListJob,
  McpToolListResult,
  PageOf,
  PageQuery,
  UpdateMcpServerBody,
  User,
} from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import type { McpServerFields, McpServerPatch, McpServersRepository } from '../db/mcp-servers.repository.ts';
import { violates } from '../db/pg-errors.ts';
import type { WorkerRequests } from '../queue/worker-requests.ts';
import type { Auditor } from './audit.ts';
import type { Actor } from './caller.ts';
import { BadGatewayError, ConflictError, NotFoundError } from './errors.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';

const notFound = () => new NotFoundError('MCP server not found.');
const nameTaken = () => new ConflictError('An MCP server with this name already exists.');

/**
 * MCP servers. Secret headers are sealed here, as one JSON object, and their names kept apart in the
 * clear; the API never opens them. Listing a server's tools needs them, so a worker does it (see
 * `listTools`).
 */
export class McpServersService {
  private readonly servers: McpServersRepository;
  private readonly secrets: SecretBox;
  private readonly listings: WorkerRequests<McpToolListJob, McpToolListResult>;
  private readonly audit: Auditor;

  constructor(
    servers: McpServersRepository,
    secrets: SecretBox,
    listings: WorkerRequests<McpToolListJob, McpToolListResult>,
    audit: Auditor,
  ) {
    this.servers = servers;
    this.secrets = secrets;
    this.listings = listings;
    this.audit = audit;
  }

  /** Members see what they may put on a chat: enabled servers only. */
  async list(actor: User, query: PageQuery): Promise<PageOf<McpServer>> {
    const page = pageRequest(query, uuidCursor);
    return toPage(await this.servers.list(actor.role !== 'admin', page), page, (s) => s.id, uuidCursor);
  }

  async get(id: string): Promise<McpServer> {
    return (await this.servers.findById(id)) ?? Promise.reject(notFound());
  }

  async create(actor: Actor, body: CreateMcpServerBody): Promise<McpServer> {
    const insert = async () =>
      (await this.servers.insert({
        name: body.name,
        url: body.url,
        ...this.sealed(body.secret_headers ?? null),
        allowed_tools: body.allowed_tools ?? null,
        requires_approval: body.requires_approval,
        enabled: body.enabled,
      })) ?? Promise.reject(nameTaken());
    return this.audit.change(actor, 'mcp_server.create', (s) => s.id, insert);
  }

  async update(actor: Actor, id: string, body: UpdateMcpServerBody): Promise<McpServer> {
    const { secret_headers: headers, ...fields } = body;
    const patch: McpServerPatch = { ...fields, ...(headers === undefined ? {} : this.sealed(headers)) };
    try {
      return await this.audit.change(
        actor,
        'mcp_server.update',
        id,
        async () => (await this.servers.update(id, patch)) ?? Promise.reject(notFound()),
      );
    } catch (err) {
      if (violates(err, '23505')) throw nameTaken();
      throw err;
    }
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.audit.change(actor, 'mcp_server.delete', id, async () => {
      if (!(await this.servers.softDelete(id))) throw notFound();
    });
  }

  /**
   * The server's tools as the model will see them. A worker connects to the server, not the API:
   * the secret headers stay sealed everywhere but in workers (as provider keys do), and outbound
   * calls to admin-given URLs go through the workers' one guarded path to the outside (the safe
   * fetch), which the tool loop will use for the same servers. A server that fails is a 502 saying
   * why, in words free of the headers.
   */
  async listTools(id: string): Promise<McpToolList> {
    if (!(await this.servers.findById(id))) throw notFound();
    const result = await this.listings.request({ mcp_server_id: id });
    if (!result.ok) throw new BadGatewayError('The MCP server did not list its tools.', result.error);
    return { tools: result.tools };
  }

  /** `{name: value}` sealed as one JSON object, with the names in the clear; null clears both. */
  private sealed(
    headers: Record<string, string> | null,
  ): Pick<McpServerFields, 'secret_headers' | 'secret_header_names'> {
    return headers === null
      ? { secret_headers: null, secret_header_names: [] }
      : { secret_headers: this.secrets.seal(JSON.stringify(headers)), secret_header_names: Object.keys(headers) };
  }
}
