import { existsSync } from 'node:fs';
import express, { Router } from 'express';
import { stringify } from 'yaml';
import { API_BASE, ROUTER_OPTIONS, contract } from '../contract.js';
import { GUIDE_URL, readGuide, renderGuide } from '../docs-assistant/guide.js';
import { ApiError } from '../errors.js';
import { fromRoot } from '../paths.js';

const docsDir = fromRoot('dist', 'docs');

/** The contract as JSON and YAML, and the rendered reference, all without a key. */
export function docsRoutes(): Router {
  let yaml: string | undefined;
  const router = Router(ROUTER_OPTIONS)
    .get(`${API_BASE}/openapi.json`, (_req, res) => {
      res.json(contract);
    })
    .get(`${API_BASE}/openapi.yaml`, (_req, res) => {
      // Rendered on first request, not at start-up, where it cost ~0.2 s.
      yaml ??= stringify(contract);
      res.type('application/yaml').send(yaml);
    });
  // Redoc's page runs an inline script and loads fonts; loosen the policy for /docs only.
  router.use('/docs', (_req, res, next) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; img-src 'self' data: https:; font-src 'self' https://fonts.gstatic.com; worker-src blob:",
    );
    next();
  });
  // The guide (README.md as HTML), rendered on first request; the docs assistant cites its headings.
  let guide: string | undefined;
  router.get(GUIDE_URL, (_req, res) => {
    guide ??= renderGuide(readGuide());
    res.type('html').send(guide);
  });
  router.use(
    '/docs',
    (_req, _res, next) => {
      if (!existsSync(docsDir)) throw new ApiError('SERVICE_UNAVAILABLE', 'The reference docs are not built; run npm run docs');
      next();
    },
    express.static(docsDir, { index: 'index.html' }),
  );
  return router;
}
