import {
  type ErrorBody,
  isErrorSchema,
  isRateLimited,
  type OpenAIErrorBody,
  type ResponseSpec,
  type Routes,
  type RouteSpec,
  routes,
} from '@chatq/contracts';
import type {
  ContextConfigDefault,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { adminOnly, requireAuth } from '../http/auth.ts';

/** The body schema of a response the handler sends as JSON; never for errors the platform raises. */
type SentSchema<R> =
  R extends ResponseSpec<infer S, 'application/json'>
    ? S extends typeof ErrorBody | typeof OpenAIErrorBody
      ? never
      : S
    : never;

/** The fastify schema of a table entry, as the zod type provider reads it to type the handler. */
interface SchemaOf<R extends RouteSpec> {
  params: R extends { params: infer P } ? P : undefined;
  querystring: R extends { query: infer Q } ? Q : undefined;
  body: R extends { body: infer B } ? B : undefined;
  response: {
    [S in keyof R['responses'] as [SentSchema<NonNullable<R['responses'][S]>>] extends [never] ? never : S]: SentSchema<
      NonNullable<R['responses'][S]>
    >;
  };
}

/**
 * The handler of one table entry: params, query and body typed from its schemas, and the reply typed
 * per status (`reply.code(202).send(...)` must match the 202 schema).
 */
export type Handler<R extends RouteSpec> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  SchemaOf<R>,
  ZodTypeProvider
>;

/** One handler per operation of a table (or a part of it), keyed by operationId. */
export type Handlers<T> = { [K in keyof T]: T[K] extends RouteSpec ? Handler<T[K]> : never };

/** The fastify options of a table entry: its schemas, guards and rate-limit config around `handler`. */
function routeOptions(route: RouteSpec, handler: RouteHandlerMethod): RouteOptions {
  // Fastify serialises (and the zod serializer checks) what the handler sends; errors have their own path.
  const response = Object.fromEntries(
    Object.entries(route.responses)
      .filter(([, r]) => r && !isErrorSchema(r.schema) && r.mediaType === 'application/json')
      .map(([status, r]) => [status, r!.schema]),
  );
  return {
    method: route.method,
    url: route.path.replace(/\{(\w+)\}/g, ':$1'),
    schema: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      ...(route.body ? { body: route.body } : {}),
      response,
    },
    config: {
      ...(route.startsTurn === undefined ? {} : { startsTurn: route.startsTurn }),
      ...(isRateLimited(route) ? {} : { rateLimited: false }),
      ...(route.auth === 'admin' ? { adminOnly: true } : {}),
    },
    ...(route.auth === 'admin' ? { preHandler: adminOnly } : {}),
    handler,
  };
}

/**
 * Serves every operation of the route table with its handler. Public routes (the probes) answer
 * anyone; the rest need a valid token, and admin routes an admin's.
 */
export function registerRoutes(app: FastifyInstance, handlers: Handlers<Routes>): void {
  const table: [string, RouteSpec][] = Object.entries(routes);
  const serve = (scope: FastifyInstance, access: (route: RouteSpec) => boolean) => {
    for (const [operationId, route] of table) {
      if (access(route)) scope.route(routeOptions(route, handlers[operationId as keyof Routes] as RouteHandlerMethod));
    }
  };
  void app.register(async (probes) => serve(probes, (route) => route.auth === 'public'));
  void app.register(async (api) => {
    requireAuth(api);
    // Every log line about a chat carries its id, next to request_id and user_id.
    api.addHook('preHandler', async (request, reply) => {
      const chatId = (request.params as { chat_id?: string } | undefined)?.chat_id;
      if (chatId) request.log = reply.log = request.log.child({ chat_id: chatId });
    });
    serve(api, (route) => route.auth !== 'public');
  });
}
