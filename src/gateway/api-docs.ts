/**
 * OpenAPI for the REST endpoints, generated from the route schemas
 * (@fastify/swagger), with Swagger UI at /docs (assets served locally: no CDN).
 * The WebSocket protocol is documented in docs/client-protocol.md and linked.
 * @module
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export function registerApiDocs(app: FastifyInstance): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tickstream gateway',
        version: '1',
        description:
          'Live Bybit market data. REST under /api/v1/live; WebSocket endpoints under /api/v1/live/ws ' +
          '(messages, resume, error and close codes: docs/client-protocol.md in the repository). ' +
          'JSON Schemas of every message: schemas/ in the repository.',
      },
      tags: [{ name: 'live', description: 'Channels, health and recent candles' }],
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });
}
