import { hostAction } from './shared/host-instance-list.js';

export const DescribeHostApiGatewayInstanceList = hostAction('apigateway', false);
