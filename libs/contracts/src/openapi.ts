import { z } from 'zod';
import { OpenAIErrorBody, openAIErrorOf } from './openai.ts';
import { RESPONSE_HEADERS, type ResponseSpec, type RouteSpec, TAGS } from './routes/define.ts';
import { routes } from './routes/index.ts';

/** A JSON Schema as the document carries it. */
export type JsonSchema = Record<string, unknown>;

/** An OpenAPI 3.1 operation, as far as chatq's document fills it in. */
export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: {
    name: string;
    in: 'path' | 'query' | 'header';
    required: boolean;
    description?: string;
    schema: JsonSchema;
  }[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<
    string,
    {
      description: string;
      headers: Record<string, { $ref: string }>;
      content?: Record<
        string,
        { schema: JsonSchema; example?: unknown; examples?: Record<string, { summary: string; value: unknown }> }
      >;
    }
  >;
}

/** The OpenAPI 3.1 document of the API. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    headers: Record<string, { description: string; required: boolean; schema: JsonSchema; example: unknown }>;
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

const COMPONENTS = '#/components/schemas/';

const DESCRIPTION = `Queue-driven backend for AI chat agents: send messages over HTTP, read replies as they stream.

- **Auth**: \`Authorization: Bearer <token>\` on every \`/api/v1\` route; tokens are minted (by an admin, or by users for themselves), listed and revoked under \`/api/v1/users/{id}/tokens\`.
- **Errors** always have the shape \`{"message", "detail"?, "validations"?: [{"field", "detail"}]}\` (under \`/openai/v1\`, OpenAI's \`{"error": {"message", "type", "param", "code"}}\`); each operation lists the messages it can answer with.
- **Retries**: send \`Idempotency-Key\` on any POST or PATCH; a retry with the same key and body gets the first response again, with \`Idempotent-Replayed: true\`.
- **Rate limits**: every response carries \`RateLimit-Policy\` and \`RateLimit\`; over a limit is 429 with \`Retry-After\`.
- **Lists** are cursor-paginated: \`?limit=1..100\`, \`after\` or \`before\` a \`next_cursor\`.`;

/** JSON Schema options: zod's own output for OpenAPI 3.1 (JSON Schema 2020-12), refs to components. */
const toJson = (registry: z.core.$ZodRegistry<{ id?: string | undefined }>, io: 'input' | 'output') =>
  z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    metadata: z.globalRegistry,
    uri: (id) => `${COMPONENTS}${id}`,
    // Transforms (query booleans) have no JSON Schema of their output; only their input is documented.
    unrepresentable: 'any',
    cycles: 'ref',
    reused: 'inline',
  }).schemas;

/** Drops the identity keywords zod stamps on a root schema, which the document does not use. */
function bare(schema: JsonSchema | undefined): JsonSchema {
  const { $id: _id, $schema: _schema, ...rest } = schema ?? {};
  return rest;
}

/**
 * The JSON Schema of one route schema: a `$ref` for a shared component, else inline with `$ref`s to
 * the components it uses. (Converting a one-schema registry is how zod emits refs to the others:
 * it files them under an external `__shared` document, which here is the components section.)
 */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENTS}${id}` };
  const one = z.registry<{ id: string }>().add(schema, { id: 'root' });
  const json = JSON.stringify(bare(toJson(one, io).root));
  return JSON.parse(json.replaceAll(`${COMPONENTS}__shared#/$defs/`, COMPONENTS)) as JsonSchema;
}

/** The components a document's schemas name, and the ones those name in turn. */
function referenced(schemas: JsonSchema[], components: Record<string, JsonSchema>): Set<string> {
  const found = new Set<string>();
  const visit = (json: unknown) => {
    for (const [, id] of JSON.stringify(json).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (found.has(id!)) continue;
      found.add(id!);
      visit(components[id!]);
    }
  };
  schemas.forEach(visit);
  return found;
}

/**
 * The shared components. They are written as responses read them; a component a request also
 * uses must read the same as input (no defaults or transforms of its own), or the document would
 * describe the request wrongly.
 */
function componentSchemas(requestSchemas: JsonSchema[]): Record<string, JsonSchema> {
  const output = toJson(z.globalRegistry, 'output');
  const input = toJson(z.globalRegistry, 'input');
  for (const id of referenced(requestSchemas, input)) {
    if (JSON.stringify(input[id]) !== JSON.stringify(output[id])) {
      throw new Error(`component ${id} reads differently in requests and responses: give requests their own schema`);
    }
  }
  return Object.fromEntries(Object.entries(output).map(([id, schema]) => [id, bare(schema)]));
}

/** Path, query and header parameters of a zod object, each with its schema and whether it is required. */
function parametersOf(schema: z.ZodObject | undefined, location: 'path' | 'query' | 'header') {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, { description, ...property }]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    ...(typeof description === 'string' ? { description } : {}),
    schema: property,
  }));
}

/** A readable, unique key for an error example: its message, slugged. */
const exampleKey = (message: string) =>
  message
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function responseOf(status: string, response: ResponseSpec): OpenApiOperation['responses'][string] {
  const headers = Object.fromEntries(response.headers.map((h) => [h, { $ref: `#/components/headers/${h}` }]));
  if (status === '204') return { description: response.description, headers };
  const examples = response.errors.length
    ? {
        examples: Object.fromEntries(
          response.errors.map((body) => [
            exampleKey(body.message),
            {
              summary: body.message,
              // The facade's errors, in OpenAI's shape (a 5XX example reads as a 500).
              value: response.schema === OpenAIErrorBody ? openAIErrorOf(Number(status) || 500, body) : body,
            },
          ]),
        ),
      }
    : {};
  return {
    description: response.description,
    headers,
    content: {
      [response.mediaType]: { schema: schemaOf(response.schema, 'output'), ...examples },
      ...Object.fromEntries(
        Object.entries(response.alternatives ?? {}).map(([mediaType, alt]) => [
          mediaType,
          { schema: { type: 'string', description: alt.description }, example: alt.example },
        ]),
      ),
    },
  };
}

/** Numeric statuses in order, then the `5XX` range. */
const byStatus = ([a]: [string, unknown], [b]: [string, unknown]) => a.localeCompare(b, 'en', { numeric: true });

function operationOf(route: RouteSpec): OpenApiOperation {
  const responses = Object.entries(route.responses)
    .filter((entry): entry is [string, ResponseSpec] => entry[1] !== undefined)
    .sort(byStatus);
  const parameters = [
    ...parametersOf(route.params, 'path'),
    ...parametersOf(route.query, 'query'),
    ...parametersOf(route.headers, 'header'),
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.auth === 'admin' ? `${route.description}\n\nAdmins only.` : route.description,
    tags: [route.tag],
    ...(route.auth === 'public' ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.safeParse(undefined).success,
            content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
          },
        }
      : {}),
    responses: Object.fromEntries(responses.map(([status, response]) => [status, responseOf(status, response)])),
  };
}

/**
 * The OpenAPI 3.1 document of a route table (by default the API's): built from the table alone,
 * so the server, `scripts/openapi.ts` and client generators all see the same document.
 */
export function openApiDocument(table: Record<string, RouteSpec> = routes): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const requestSchemas: JsonSchema[] = [];
  for (const route of Object.values(table)) {
    const operation = operationOf(route);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
    requestSchemas.push(...(operation.parameters ?? []).map((p) => p.schema));
    if (operation.requestBody) requestSchemas.push(operation.requestBody.content['application/json']!.schema);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'chatq API',
      version: '1',
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'The chatq API server that serves this document.' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: componentSchemas(requestSchemas),
      headers: Object.fromEntries(
        Object.entries(RESPONSE_HEADERS).map(([name, { description, required, example }]) => [
          name,
          { description, required, schema: { type: 'string' }, example },
        ]),
      ),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token minted with `POST /api/v1/users/{id}/tokens`.',
        },
      },
    },
  };
}
