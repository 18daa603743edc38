// Notices to certificate owners and the channels they go out on.
export type ChannelState = 'pending' | 'sent' | 'failed' | 'none';
export type NoticeState = 'pending' | 'sent' | 'failed' | 'none';
export type Channel = 'email' | 'webhook';

export interface NoticeRecord {
  id: string;
  accountUin: string;
  certId: string;
  kind: string;
  key: string;
  subject: string;
  text: string;
  data: Record<string, unknown>;
  state: NoticeState;
  channels: Record<Channel, ChannelState>;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
}

export type NewNotice = Pick<NoticeRecord, 'id' | 'accountUin' | 'certId' | 'kind' | 'key' | 'subject' | 'text' | 'data' | 'createdAt'>;

export interface ChannelsRecord {
  accountUin: string;
  emails: string[];
  webhookUrl: string | null;
  webhookSecretSealed: string | null;
  updatedAt: number;
}

/** An issued certificate inside the expiry window, with the nearest threshold it has crossed. */
export interface ExpiryCandidate {
  certId: string;
  accountUin: string;
  domain: string;
  alias: string;
  notAfter: number;
  days: number;
}


/** The key of an expiry notice; the sweep's query builds the same string in SQL. */
export const expiryKey = (certId: string, notAfter: number, days: number) => `expiry:${certId}:${notAfter}:${days}`;
