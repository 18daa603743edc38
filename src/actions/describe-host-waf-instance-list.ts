import { type HostHandler, hostList } from './shared/host-instance-list.js';

export const DescribeHostWafInstanceList: HostHandler = async (ctx, p) => ({ InstanceList: (await hostList(ctx, 'waf', p)).list });
