/** Who is calling: the account (main Uin) that owns the data and the user (main or sub) acting. */
export interface Caller {
  accountUin: string;
  userUin: string;
}
