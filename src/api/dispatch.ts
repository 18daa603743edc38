// Running one action for an authenticated caller: the signed API (server.ts, legacy) and the
// console (console/routes.ts) both come through here, so they share the table, the rate
// limit, the parameter checks and the handlers (and so the operation log).
import { actions, type ActionHandler, type Services } from '../actions/index.js';
import { ServiceError } from '../domain/errors.js';
import type { Caller } from '../domain/caller.js';
import type { SerializedResult } from '../services/page-cache.js';
import type { RateLimit } from './guards.js';
import { checkParams } from './params.js';

export interface Dispatch {
  services: Services;
  rateLimit: RateLimit;
}

export interface RunOptions {
  /** The action table and the models' service: the SSL API's unless told (the Tag API). */
  table?: Record<string, ActionHandler>;
  service?: 'ssl' | 'tag';
  /** Called once the request is accepted, just before the handler runs. */
  beforeRun?: () => void;
}

export async function runAction(d: Dispatch, caller: Caller, action: string, raw: Record<string, unknown>, requestId: string,
  o: RunOptions = {}): Promise<Record<string, unknown> | SerializedResult> {
  const table = o.table ?? actions;
  const handler = Object.hasOwn(table, action) ? table[action] : undefined;
  if (!handler) throw new ServiceError('InvalidAction', `The action ${JSON.stringify(action)} does not exist.`);
  if (!(await d.rateLimit.take(caller.accountUin, action))) {
    throw new ServiceError('RequestLimitExceeded', `Too many ${action} requests: the limit is per second per account.`);
  }
  const params = checkParams(action, raw, o.service ?? 'ssl');
  o.beforeRun?.();
  return await handler({ caller, services: d.services, requestId }, params) as Record<string, unknown> | SerializedResult;
}
