import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance } from 'fastify';

/**
 * Which methods a path answers, for `405` and its `Allow` header. Fastify's router only tells that
 * nothing matched, so every route `app` (or a plugin inside it) registers from now on is mirrored
 * into a second router, matching with the same options, that holds only (method, path) pairs. It
 * is asked per method only after the main router missed: the hot path never pays for it, and the
 * answer always follows the routes.
 */
export class AllowedMethods {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  private readonly methods = new Set<HTTPMethod>();

  constructor(app: FastifyInstance) {
    const { ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive, maxParamLength } =
      app.initialConfig.routerOptions ?? {};
    this.router = FindMyWay({ ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive, maxParamLength });
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat() as HTTPMethod[]) {
        // A prefixed plugin's '' and '/' routes are one path when trailing slashes are ignored.
        if (this.router.hasRoute(method, route.url)) continue;
        this.router.on(method, route.url, () => {});
        this.methods.add(method);
      }
    });
  }

  /** Every method some route answers, sorted. */
  all(): HTTPMethod[] {
    return [...this.methods].sort();
  }

  /** The methods `url` (a request's path and query) has routes for, sorted. */
  of(url: string): HTTPMethod[] {
    return this.all().filter((method) => this.router.find(method, url) !== null);
  }
}
