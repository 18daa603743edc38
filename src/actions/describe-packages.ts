// The caller's packages (the operator's grants of paid-certificate units, `certport packages
// grant`) with their balances. No package is ever transferred here: SourceUin is null and
// TransferOutInfos empty.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { packageStatus } from '../domain/package.js';
import { pageParams } from './shared/paging.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

export const DescribePackages: ActionHandler<M.DescribePackagesRequest, M.DescribePackagesResponse> = async (ctx, p) => {
  const r = await ctx.services.packages.describe(ctx.caller, pageParams(p.Offset, p.Limit, 20), p);
  return {
    Packages: r.items.map((k): M.PackageInfo => ({
      PackageId: k.id,
      Total: k.total,
      Balance: k.balance,
      Type: k.type,
      SourceUin: null as unknown as number,
      Status: packageStatus(k, r.now),
      ExpireTime: formatTime(k.expiresAt)!,
      UpdateTime: formatTime(k.updatedAt)!,
      CreateTime: formatTime(k.createdAt)!,
      // Granted by the operator (`certport packages grant`), not bought or transferred in.
      SourceType: 'grant',
      TransferOutInfos: [],
    })),
    TotalCount: r.total,
    TotalBalance: r.totalBalance,
  };
};
