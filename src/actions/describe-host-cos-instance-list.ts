import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostCosInstanceList = hostAction('cos', true);
