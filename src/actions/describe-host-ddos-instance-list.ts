import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostDdosInstanceList = hostAction('ddos', false);
