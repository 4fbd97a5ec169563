import type { CreateToolBody, PageOf, PageQuery, Tool, UpdateToolBody, User } from '@chatq/contracts';
import type { SecretBox } from '@chatq/platform';
import { violates } from '../db/pg-errors.ts';
import type { ToolPatch, ToolsRepository } from '../db/tools.repository.ts';
import type { Auditor } from './audit.ts';
import type { Actor } from './caller.ts';
import { BadRequestError, ConflictError, NotFoundError } from './errors.ts';
import { pageRequest, toPage, uuidCursor } from './pagination.ts';

const notFound = () => new NotFoundError('Tool not found.');
const nameTaken = () => new ConflictError('A tool with this name already exists.');

/**
 * Tools: signing secrets are sealed here, on the way in, and never opened by the API. Every change
 * is audited in its transaction.
 */
export class ToolsService {
  private readonly tools: ToolsRepository;
  private readonly secrets: SecretBox;
  private readonly audit: Auditor;

  constructor(tools: ToolsRepository, secrets: SecretBox, audit: Auditor) {
    this.tools = tools;
    this.secrets = secrets;
    this.audit = audit;
  }

  /** Members see what they may put on a chat: enabled tools only. */
  async list(actor: User, query: PageQuery): Promise<PageOf<Tool>> {
    const page = pageRequest(query, uuidCursor);
    return toPage(await this.tools.list(actor.role !== 'admin', page), page, (t) => t.id, uuidCursor);
  }

  async get(id: string): Promise<Tool> {
    return (await this.tools.findById(id)) ?? Promise.reject(notFound());
  }

  async create(actor: Actor, body: CreateToolBody): Promise<Tool> {
    const insert = async () =>
      (await this.tools.insert({
        name: body.name,
        description: body.description,
        input_schema: body.input_schema,
        kind: body.kind,
        url: body.url ?? null,
        signing_secret: body.signing_secret === undefined ? null : this.secrets.seal(body.signing_secret),
        requires_approval: body.requires_approval,
        timeout_ms: body.timeout_ms,
        enabled: body.enabled,
      })) ?? Promise.reject(nameTaken());
    return this.audit.change(actor, 'tool.create', (t) => t.id, insert);
  }

  /**
   * The table's check (`tools_webhook_fields`) refuses a url or signing secret on a client tool; it,
   * not a read before the write, decides, so a concurrent change cannot slip past it.
   */
  async update(actor: Actor, id: string, body: UpdateToolBody): Promise<Tool> {
    const { signing_secret: secret, ...fields } = body;
    const patch: ToolPatch = {
      ...fields,
      ...(secret === undefined ? {} : { signing_secret: secret === null ? null : this.secrets.seal(secret) }),
    };
    try {
      return await this.audit.change(
        actor,
        'tool.update',
        id,
        async () => (await this.tools.update(id, patch)) ?? Promise.reject(notFound()),
      );
    } catch (err) {
      if (violates(err, '23505')) throw nameTaken();
      if (violates(err, '23514', 'tools_webhook_fields')) {
        const set = (['url', 'signing_secret'] as const).filter((f) => body[f] != null);
        throw new BadRequestError(
          'Invalid request.',
          undefined,
          set.map((f) => ({ field: `body.${f}`, detail: 'only webhook tools have one' })),
        );
      }
      throw err;
    }
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.audit.change(actor, 'tool.delete', id, async () => {
      if (!(await this.tools.softDelete(id))) throw notFound();
    });
  }
}
