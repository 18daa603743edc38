import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostCdnInstanceList = hostAction('cdn', true);
