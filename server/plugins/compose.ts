import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

export type Step = RequestHandler | ErrorRequestHandler | Step[];

/**
 * Runs a list of middleware as one: the same order and the same rules as mounting each with `app.use` at
 * the root, without a router layer per step (each layer cost express a path match and a dispatch).
 *
 * - `next()` runs the next step; `next('route')` too (at the root it means no more than that to express);
 *   `next('router')` leaves the whole list at once, as it leaves the app's router.
 * - `next(err)`, a throw, or a rejected promise (express 5 forwards those; a promise rejected with nothing
 *   becomes `Error('Rejected promise')`, as in express) skips the request handlers that follow and runs
 *   only error handlers (four arguments); past the end, the error goes to the caller's `next`.
 * - Arrays are flattened, at any depth (the validator is a list of middleware). A Router is a middleware.
 */
export function compose(...steps: Step[]): RequestHandler {
  const stack: Array<RequestHandler | ErrorRequestHandler> = [];
  const add = (step: Step) => {
    if (Array.isArray(step)) step.forEach(add);
    else if (typeof step === 'function') stack.push(step);
    else throw new TypeError(`compose() takes middleware functions, got ${typeof step}`);
  };
  steps.forEach(add);
  return function composed(req: Request, res: Response, done: NextFunction) {
    let idx = 0;
    const next = (err?: unknown): void => {
      if (err === 'router') return done('router');
      const error = err === 'route' ? undefined : err;
      while (idx < stack.length) {
        const fn = stack[idx++]!;
        const isErrorHandler = fn.length === 4;
        if (error ? !isErrorHandler : isErrorHandler) continue;
        try {
          const ret: unknown = error ? (fn as ErrorRequestHandler)(error, req, res, next) : (fn as RequestHandler)(req, res, next);
          if (isThenable(ret)) ret.then(undefined, (e: unknown) => next(e || new Error('Rejected promise')));
        } catch (e) {
          return next(e);
        }
        return;
      }
      done(error || undefined);
    };
    next();
  };
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
