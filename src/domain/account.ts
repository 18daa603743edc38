// Accounts (main Uins), their users (sub-accounts), API keys and projects.
export interface ApiKeyRecord {
  secretId: string;
  accountUin: string;
  userUin: string;
  secretKeySealed: string;
  status: 'active' | 'disabled';
  createdAt: number;
}

export interface AccountRecord { uin: string; name: string; status: string; createdAt: number }
export interface UserRecord { uin: string; accountUin: string; name: string; createdAt: number }
export interface ProjectRecord { accountUin: string; projectId: number; name: string; createdAt: number }
