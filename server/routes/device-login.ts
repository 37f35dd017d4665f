import type {
  ApproveDeviceLoginData,
  ApproveDeviceLoginResponse,
  CreateDeviceCodeData,
  DenyDeviceLoginData,
  DenyDeviceLoginResponse,
  ExchangeDeviceCodeData,
  GetDeviceLoginData,
  GetDeviceLoginResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { ownOrigin } from '../plugins/csrf.js';
import { handle, handlePublicResponse, sendData, type Operations } from './handler.js';

/** CLI device login (RFC 8628): the client's two public calls and the dashboard's three. */
export function deviceLoginOperations(data: DataLayer): Operations {
  const logins = data.deviceLogins;
  return {
    createDeviceCode: handlePublicResponse(async (req, res) => {
      const body = req.body as CreateDeviceCodeData['body'];
      sendData(res, 200, await logins.create(body.clientName, ownOrigin(req)));
    }),
    exchangeDeviceCode: handlePublicResponse(async (req, res) => {
      const body = req.body as ExchangeDeviceCodeData['body'];
      // The key is in this answer only: no cache may keep it.
      res.setHeader('Cache-Control', 'no-store');
      sendData(res, 200, await logins.exchange(body.deviceCode));
    }),
    getDeviceLogin: handle<GetDeviceLoginData, GetDeviceLoginResponse>(200, ({ caller, query }) => logins.find(caller, query.userCode)),
    approveDeviceLogin: handle<ApproveDeviceLoginData, ApproveDeviceLoginResponse>(200, ({ caller, body }) =>
      logins.approve(caller, body.userCode),
    ),
    denyDeviceLogin: handle<DenyDeviceLoginData, DenyDeviceLoginResponse>(200, ({ caller, body }) => logins.deny(caller, body.userCode)),
  };
}
