import { type HostHandler, hostList } from './shared/host-instance-list.js';

/** The SDK's Live and Waf responses carry no TotalCount. */
export const DescribeHostLiveInstanceList: HostHandler = async (ctx, p) => ({ InstanceList: (await hostList(ctx, 'live', p)).list });
