// Console sign-in: a user's password (scrypt, parameters stored with the hash) and the
// server-side sessions the console's cookie names.
export interface ConsolePasswordRecord {
  userUin: string;
  accountUin: string;
  /** `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>` */
  hash: string;
  updatedAt: number;
}

export interface ConsoleSessionRecord {
  /** SHA-256 (hex) of the cookie's token: the token itself is never stored. */
  idHash: string;
  accountUin: string;
  userUin: string;
  /** Sent back in X-CSRF-Token on every state change; bound to this session only. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end, whatever the activity. */
  expiresAt: number;
  address: string;
  userAgent: string;
}

export interface ConsoleStore {
  getPassword(userUin: string): Promise<ConsolePasswordRecord | null>;
  putPassword(p: ConsolePasswordRecord): Promise<void>;
  createSession(s: ConsoleSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<ConsoleSessionRecord | null>;
  touchSession(idHash: string, lastSeenAt: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Every session of a user (sign-out everywhere, a new password); returns how many. */
  deleteUserSessions(userUin: string): Promise<number>;
  /** Sessions past their absolute end or idle since before `idleBefore`. */
  deleteStaleSessions(now: number, idleBefore: number): Promise<number>;
  /** Console operators (the admin role): whether a user is one, and granting or taking it. */
  isOperator(userUin: string): Promise<boolean>;
  setOperator(userUin: string, accountUin: string, on: boolean, at: number): Promise<void>;
  listOperators(): Promise<{ userUin: string; accountUin: string; grantedAt: number }[]>;
}
