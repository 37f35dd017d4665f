import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { ROUTER_OPTIONS } from '../contract.js';
import { ApiError } from '../errors.js';
import { fromRoot } from '../paths.js';

/**
 * The web dashboard (client/dashboard, built by `npm run dashboard`) at /dashboard, without a key: the page
 * signs in itself. Its build is plain files (module scripts and a stylesheet, no inline code), so the
 * server's own strict CSP applies unchanged. Paths that are no file are the page's own routes
 * (/dashboard/agents, /dashboard/set-password) and get index.html; the page reads its state from the path.
 */
export function dashboardAppRoutes(appDir = fromRoot('dist', 'dashboard')): Router {
  const indexHtml = join(appDir, 'index.html');
  const built: RequestHandler = (_req, _res, next) => {
    if (!existsSync(indexHtml)) throw new ApiError('SERVICE_UNAVAILABLE', 'The dashboard is not built; run npm run dashboard');
    next();
  };
  // A missing asset stays a 404 (an HTML page in its place would only fail to parse); other methods than
  // GET and HEAD go on to the API's pipeline, which answers them in the envelope.
  const page: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/assets/')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  };
  return Router(ROUTER_OPTIONS).use(
    '/dashboard',
    built,
    express.static(appDir, {
      index: false,
      redirect: false,
      // File names under assets/ carry a content hash: cache them for good. index.html names them, so never.
      setHeaders: (res, path) =>
        res.setHeader('Cache-Control', relative(appDir, path).startsWith('assets') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
    page,
  );
}
