// The operators' endpoints (/console/api/operator/…): paid-order review, revocation letters,
// accounts and the CA. The server refuses them (HTTP 403) to anyone not flagged an operator.
import { request, type Json } from './api';

const q = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString();
  return s ? `?${s}` : '';
};
const id = (s: string) => encodeURIComponent(s);

export const operator = {
  orders: (status?: string) => request('GET', `operator/orders${q({ status })}`),
  order: (certId: string) => request('GET', `operator/orders/${id(certId)}`),
  /** Where the browser opens (or, with download, saves) the order's letter: a plain GET with the session cookie. */
  letterUrl: (certId: string, download = false) => `/console/api/operator/orders/${id(certId)}/letter${download ? '?download=1' : ''}`,
  approve: (certId: string) => request('POST', `operator/orders/${id(certId)}/approve`),
  reject: (certId: string, Reason: string) => request('POST', `operator/orders/${id(certId)}/reject`, { Reason }),
  revocations: (state?: string) => request('GET', `operator/revocations${q({ state })}`),
  revokeLetterUrl: (certId: string, download = false) => `/console/api/operator/revocations/${id(certId)}/letter${download ? '?download=1' : ''}`,
  confirmRevoke: (certId: string) => request('POST', `operator/revocations/${id(certId)}/confirm`),
  cancelRevoke: (certId: string, Reason: string) => request('POST', `operator/revocations/${id(certId)}/cancel`, { Reason }),
  accounts: () => request('GET', 'operator/accounts'),
  users: (uin: string) => request('GET', `operator/accounts/${id(uin)}/users`),
  setAccount: (uin: string, change: 'disable' | 'enable') => request('POST', `operator/accounts/${id(uin)}/${change}`),
  ca: () => request('GET', 'operator/ca'),
} satisfies Record<string, (...a: any[]) => Promise<Json> | string>;
