import type { Request, RequestHandler, Response } from 'express';
import type { Caller } from '../data/caller.js';
import { ApiError } from '../errors.js';

/** What a handler receives: the validated input, typed from the generated request type. */
export interface Input<D, C = Caller> {
  caller: C;
  path: D extends { path: infer P } ? P : never;
  query: D extends { query?: infer Q } ? NonNullable<Q> : never;
  body: D extends { body: infer B } ? B : never;
}

type DataOf<R> = R extends { data: infer T } ? T : never;

/** One contract operation's handler; `isPublic` must agree with the contract (checked when the app is built). */
export interface OperationHandler {
  readonly isPublic: boolean;
  readonly run: RequestHandler;
}

/** Handlers by operationId. */
export type Operations = Record<string, OperationHandler>;

/** The success envelope, written here and nowhere else. */
export function sendData(res: Response, status: number, data: unknown): void {
  res.status(status).json({ success: true, data });
}

function adapt<D, R, C>(
  status: number,
  caller: (req: Parameters<RequestHandler>[0]) => C,
  fn: (input: Input<D, C>) => Promise<DataOf<R>> | DataOf<R>,
): RequestHandler {
  return async (req, res) => {
    const data = await fn({ caller: caller(req), path: req.operationParams as never, query: req.query as never, body: req.body as never });
    sendData(res, status, data);
  };
}

/**
 * A handler for an operation that needs a key. It takes validated input and returns the payload, which is
 * wrapped in the success envelope with `status`. `D` and `R` are the generated `XxxData` and `XxxResponse`
 * types, so a handler that drifts from the contract fails to compile, and its caller is never undefined:
 * should auth ever not have run, the request is refused here rather than run without one.
 */
export function handle<D, R>(status: number, fn: (input: Input<D>) => Promise<DataOf<R>> | DataOf<R>): OperationHandler {
  return { isPublic: false, run: adapt<D, R, Caller>(status, requireCaller, fn) };
}

/** Like `handle`, for an operation that writes its own answer (a JSON body or an event stream). */
export function handleResponse<D>(fn: (input: Input<D>, req: Request, res: Response) => Promise<void>): OperationHandler {
  return {
    isPublic: false,
    run: (req, res) =>
      fn({ caller: requireCaller(req), path: req.operationParams as never, query: req.query as never, body: req.body as never }, req, res),
  };
}

function requireCaller(req: Request): Caller {
  if (!req.caller) throw new ApiError('UNAUTHORIZED', 'Missing API key: send Authorization: Bearer alm_<env>_<key>');
  return req.caller;
}

/** A handler for an operation the contract marks public (`security: []`): the caller is there only if a key was sent. */
export function handlePublic<D, R>(
  status: number,
  fn: (input: Input<D, Caller | undefined>) => Promise<DataOf<R>> | DataOf<R>,
): OperationHandler {
  return { isPublic: true, run: adapt<D, R, Caller | undefined>(status, (req) => req.caller, fn) };
}

/**
 * Like `handleResponse`, for a public operation that writes its own answer (sign-in sets a cookie). A key
 * sent with it is checked by auth as usual, but signing in with one makes no sense: refused, not ignored.
 */
export function handlePublicResponse(run: (req: Request, res: Response) => Promise<void>): OperationHandler {
  return {
    isPublic: true,
    run: async (req, res) => {
      if (req.caller !== undefined) throw new ApiError('FORBIDDEN', 'Sign in without an Authorization header');
      await run(req, res);
    },
  };
}
