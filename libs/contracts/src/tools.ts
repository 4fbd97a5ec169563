import { z } from 'zod';
import { Page, RequestBody, Timestamp, Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';
import { SecretHeaders } from './providers.ts';

/**
 * The name of a tool, an MCP server or a client tool, as a model sees it: what the providers accept
 * in a function name (OpenAI allows `^[a-zA-Z0-9_-]{1,64}$`, the strictest of them).
 */
export const ToolName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1-64 letters, digits, _ or -' })
  .meta({ examples: ['get_weather'] });

/** Largest `input_schema`, in characters of JSON: it is sent to the model on every step of a turn. */
export const MAX_INPUT_SCHEMA_CHARS = 16_384;
/** Deepest nesting of objects and arrays an `input_schema` may have. */
export const MAX_INPUT_SCHEMA_DEPTH = 16;

/** How deeply `value` nests objects and arrays (a scalar is 0). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

/**
 * A tool's input as a JSON Schema. Models are given tools whose input is an object, so the schema
 * must say `type: "object"`; its size and depth are bounded. Deeper checks are the model's and the
 * tool's: chatq does not validate a schema beyond what it forwards.
 */
export const InputSchema = z
  .record(z.string(), z.unknown())
  .meta({ examples: [{ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }] });
export type InputSchema = z.infer<typeof InputSchema>;

/** `input_schema` as a request sets it: an object schema, bounded. */
export const InputSchemaInput = InputSchema.superRefine((schema, ctx) => {
  if (schema.type !== 'object') ctx.addIssue({ code: 'custom', message: 'must be a JSON Schema with type "object"' });
  else if (JSON.stringify(schema).length > MAX_INPUT_SCHEMA_CHARS) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_INPUT_SCHEMA_CHARS} characters of JSON` });
  } else if (depthOf(schema) > MAX_INPUT_SCHEMA_DEPTH) {
    ctx.addIssue({ code: 'custom', message: `must nest at most ${MAX_INPUT_SCHEMA_DEPTH} levels deep` });
  }
});

const Description = z.string().min(1).max(4_000);
const HttpUrl = z.url({ protocol: /^https?$/ }).max(2_000);
const Secret = z.string().min(1).max(4_000);

/** Who runs a tool: a worker calls `webhook` tools at their url; the API caller runs `client` tools. */
export const ToolKind = z.enum(['webhook', 'client']);
export type ToolKind = z.infer<typeof ToolKind>;

/** A tool as the API shows it: whether a signing secret is set, never the secret. */
export const Tool = z
  .object({
    id: Uuid,
    name: ToolName,
    description: z.string(),
    input_schema: InputSchema,
    kind: ToolKind,
    url: z.string().nullable(),
    has_signing_secret: z.boolean(),
    requires_approval: z.boolean(),
    timeout_ms: z.number().int(),
    enabled: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.toolId,
        name: 'get_weather',
        description: 'The current weather in a city.',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        kind: 'webhook',
        url: 'https://tools.example.com/weather',
        has_signing_secret: true,
        requires_approval: false,
        timeout_ms: 30_000,
        enabled: true,
        created_at: EXAMPLE.createdAt,
        updated_at: EXAMPLE.createdAt,
      },
    ],
  });
export type Tool = z.infer<typeof Tool>;

const TimeoutMs = z.number().int().min(100).max(600_000);

/** A webhook tool needs the url it is called at; a client tool runs at the caller and has neither. */
export const CreateToolBody = RequestBody({
  name: ToolName,
  description: Description,
  input_schema: InputSchemaInput,
  kind: ToolKind,
  url: HttpUrl.optional(),
  signing_secret: Secret.optional(),
  requires_approval: z.boolean().default(false),
  timeout_ms: TimeoutMs.default(30_000),
  enabled: z.boolean().default(true),
})
  .superRefine((body, ctx) => {
    if (body.kind === 'webhook' && body.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required for webhook tools' });
    }
    if (body.kind === 'client') {
      for (const field of ['url', 'signing_secret'] as const) {
        if (body[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'only webhook tools have one' });
      }
    }
  })
  .meta({
    examples: [
      {
        name: 'get_weather',
        description: 'The current weather in a city.',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        kind: 'webhook',
        url: 'https://tools.example.com/weather',
        signing_secret: 'whsec_0123456789abcdef',
        requires_approval: false,
        timeout_ms: 30_000,
        enabled: true,
      },
    ],
  });
export type CreateToolBody = z.infer<typeof CreateToolBody>;

/** Absent fields are unchanged; `null` clears `signing_secret`. A tool's kind is fixed at creation. */
export const UpdateToolBody = RequestBody({
  name: ToolName.optional(),
  description: Description.optional(),
  input_schema: InputSchemaInput.optional(),
  url: HttpUrl.optional(),
  signing_secret: Secret.nullable().optional(),
  requires_approval: z.boolean().optional(),
  timeout_ms: TimeoutMs.optional(),
  enabled: z.boolean().optional(),
}).meta({ examples: [{ signing_secret: null, enabled: false }] });
export type UpdateToolBody = z.infer<typeof UpdateToolBody>;

export const ToolResponse = z.object({ tool: Tool });
export const ToolList = Page(Tool);

/** Most tool names `allowed_tools` may list. */
export const MAX_ALLOWED_TOOLS = 128;

/** The server's tools (by its own names) the model may see; null or absent: all of them. */
const AllowedTools = z
  .array(ToolName)
  .max(MAX_ALLOWED_TOOLS)
  .refine((names) => new Set(names).size === names.length, { message: 'must not repeat a name' });

/** An MCP server as the API shows it: the names of its secret headers, never their values. */
export const McpServer = z
  .object({
    id: Uuid,
    name: ToolName,
    url: z.string(),
    secret_header_names: z.array(z.string()),
    allowed_tools: z.array(z.string()).nullable(),
    requires_approval: z.boolean(),
    enabled: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({
    examples: [
      {
        id: EXAMPLE.mcpServerId,
        name: 'github',
        url: 'https://mcp.example.com/mcp',
        secret_header_names: ['Authorization'],
        allowed_tools: ['search_issues'],
        requires_approval: false,
        enabled: true,
        created_at: EXAMPLE.createdAt,
        updated_at: EXAMPLE.createdAt,
      },
    ],
  });
export type McpServer = z.infer<typeof McpServer>;

export const CreateMcpServerBody = RequestBody({
  name: ToolName,
  url: HttpUrl,
  secret_headers: SecretHeaders.optional(),
  allowed_tools: AllowedTools.nullable().optional(),
  requires_approval: z.boolean().default(false),
  enabled: z.boolean().default(true),
}).meta({
  examples: [
    {
      name: 'github',
      url: 'https://mcp.example.com/mcp',
      secret_headers: { Authorization: 'Bearer ghp_0123456789' },
      allowed_tools: ['search_issues'],
      requires_approval: false,
      enabled: true,
    },
  ],
});
export type CreateMcpServerBody = z.infer<typeof CreateMcpServerBody>;

/** Absent fields are unchanged; `secret_headers` replaces the whole set (`null` clears it), `allowed_tools: null` allows all. */
export const UpdateMcpServerBody = RequestBody({
  name: ToolName.optional(),
  url: HttpUrl.optional(),
  secret_headers: SecretHeaders.nullable().optional(),
  allowed_tools: AllowedTools.nullable().optional(),
  requires_approval: z.boolean().optional(),
  enabled: z.boolean().optional(),
}).meta({ examples: [{ secret_headers: { Authorization: 'Bearer ghp_rotated' }, allowed_tools: null }] });
export type UpdateMcpServerBody = z.infer<typeof UpdateMcpServerBody>;

export const McpServerResponse = z.object({ mcp_server: McpServer });
export const McpServerList = Page(McpServer);

/**
 * The name a model sees for tool `tool` of MCP server `server`: the two joined by `__`, so tools of
 * different servers never collide. The one place this rule is spelt.
 */
export const mcpToolName = (server: string, tool: string): string => `${server}__${tool}`;

/** A tool an MCP server offers, as the model will see it. */
export const McpTool = z
  .object({ name: z.string(), description: z.string().nullable(), input_schema: InputSchema })
  .meta({
    examples: [
      {
        name: 'github__search_issues',
        description: 'Search issues by text.',
        input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      },
    ],
  });
export type McpTool = z.infer<typeof McpTool>;

export const McpToolList = z.object({ tools: z.array(McpTool) });
export type McpToolList = z.infer<typeof McpToolList>;

/** Name of the BullMQ queue that carries MCP tool listings from the API to the workers. */
export const MCP_TOOL_LIST_QUEUE = 'mcp-tool-lists';

/**
 * A listing as the API queues it: no url, no headers; the worker reads the server and opens its
 * secret headers itself. `deadline` (epoch ms) is when the API stops waiting.
 */
export const McpToolListJob = z.object({ mcp_server_id: Uuid, deadline: z.number().int() });
export type McpToolListJob = z.infer<typeof McpToolListJob>;

/** What a worker answers: the tools, or why the server could not be listed (secret-free). */
export const McpToolListResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), tools: z.array(McpTool) }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type McpToolListResult = z.infer<typeof McpToolListResult>;

/**
 * Largest tool output chatq stores and sends to the model, in characters of JSON (64 KiB): a
 * webhook or MCP result over it becomes an error result saying so, a caller's output over it is
 * refused with 400. Every step resends the turn's results, so one tool cannot flood the context.
 */
export const MAX_TOOL_OUTPUT_CHARS = 65_536;

/** Most client tools one chat may define. */
export const MAX_CLIENT_TOOLS = 64;

/** A tool the API caller defines on a chat and runs itself: the model's call waits for its result. */
export const ClientTool = z
  .strictObject({ name: ToolName, description: Description.optional(), input_schema: InputSchemaInput })
  .meta({
    examples: [
      {
        name: 'pick_date',
        description: 'Ask the user to pick a date in the app.',
        input_schema: { type: 'object', properties: { earliest: { type: 'string', format: 'date' } } },
      },
    ],
  });
export type ClientTool = z.infer<typeof ClientTool>;

/** A chat's client tools: bounded, names unique within the chat. */
export const ClientTools = z
  .array(ClientTool)
  .max(MAX_CLIENT_TOOLS)
  .refine((tools) => new Set(tools.map((t) => t.name)).size === tools.length, { message: 'must not repeat a name' });
