import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostVodInstanceList = hostAction('vod', false);
