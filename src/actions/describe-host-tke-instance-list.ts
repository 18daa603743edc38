import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostTkeInstanceList = hostAction('tke', true);
