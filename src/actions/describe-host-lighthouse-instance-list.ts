import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostLighthouseInstanceList = hostAction('lighthouse', false);
