import { ALL_ROLES, type Component } from '../composition/component.js';
import { buildApp } from './app.js';
import { listeningUrl } from './listening-url.js';
import { startMetricsServer } from './metrics-server.js';
import type { FastifyInstance } from 'fastify';

declare module '../composition/component.js' {
  interface Services {
    app: FastifyInstance;
  }
}

/**
 * The HTTP server, last: it serves what the components before it contributed (routes, readiness
 * checks), plus /healthz, /readyz and /metrics in every role, so a worker-only container can be
 * health-checked too. Closed first: new requests get 503 while in-flight ones finish.
 */
export const httpComponent: Component = {
  name: 'http',
  roles: ALL_ROLES,
  async start({ config, role, logger, metrics, use, find, contributions }) {
    const { routes, readiness } = contributions();
    const { app, endpoints } = await buildApp(config, { logger, metrics, readiness, routes });
    let metricsServer: FastifyInstance | undefined;
    try {
      await app.listen({ port: config.http.port, host: config.http.host });
      metricsServer = await startMetricsServer(config, metrics);
    } catch (error) {
      await app.close();
      throw error;
    }
    const backend = use('backend');
    const registry = find('registry');
    logger.info(
      {
        role,
        store: backend.kind,
        queue: config.queue.name,
        endpoints,
        handled: registry?.handledNames(),
        ...(registry && config.handlers.modules.length > 0 ? { handlerModules: config.handlers.modules } : {}),
      },
      endpoints.length > 0
        ? `webhook endpoints enabled: ${endpoints.join(', ')}`
        : role === 'worker'
          ? 'worker running; HTTP serves /healthz only'
          : 'no webhook endpoint is configured: set KAKAO_AUDIENCE, KAKAO_ADMIN_KEYS or LOGTO_SIGNING_KEYS (see README.md)',
    );
    logger.info(
      { store: backend.kind },
      backend.kind === 'embedded'
        ? `events are stored in ${backend.description}. For production, or to run receivers and workers as separate processes, set REDIS_URL=redis://... (recommended) or DATABASE_URL=postgres://...`
        : `events are stored in ${backend.description}`,
    );
    if (metricsServer) logger.info({ metricsUrl: listeningUrl(metricsServer.server).url }, 'metrics are served on their own port only');
    return {
      provides: { app },
      async close() {
        await Promise.all([app.close(), metricsServer?.close()]);
      },
    };
  },
};
