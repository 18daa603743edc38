import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostTeoInstanceList = hostAction('teo', false);
