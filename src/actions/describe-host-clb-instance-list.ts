import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostClbInstanceList = hostAction('clb', true);
