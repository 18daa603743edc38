/** Who is calling: the account (main Uin) that owns the data and the user (main or sub) acting. */
export interface Caller {
  accountUin: string;
  userUin: string;
}

/** Background work (jobs, hosting) acts for an account as its main user. */
export const accountCaller = (accountUin: string): Caller => ({ accountUin, userUin: accountUin });
