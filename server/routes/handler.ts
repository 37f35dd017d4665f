import type { RequestHandler } from 'express';
import type { Caller } from '../data/caller.js';

/** What a handler receives: the validated input, typed from the generated request type. */
export interface Input<D> {
  caller: Caller;
  path: D extends { path: infer P } ? P : never;
  query: D extends { query?: infer Q } ? NonNullable<Q> : never;
  body: D extends { body: infer B } ? B : never;
}

type DataOf<R> = R extends { data: infer T } ? T : never;

/**
 * Adapts a typed handler to express: the handler takes validated input and returns the payload; this wraps
 * it in the success envelope with the given status. `D` and `R` are the generated `XxxData` and
 * `XxxResponse` types, so a handler that drifts from the contract fails to compile.
 */
export function handle<D, R>(status: number, fn: (input: Input<D>) => Promise<DataOf<R>> | DataOf<R>): RequestHandler {
  return async (req, res) => {
    const data = await fn({ caller: req.caller!, path: req.params as never, query: req.query as never, body: req.body });
    res.status(status).json({ success: true, data });
  };
}
