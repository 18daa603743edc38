// The pages for paid (OV/EV) orders and for operators, kept out of App.tsx's own table: their
// routes and their navigation entries (operators' only for sessions flagged operator; the server
// refuses the endpoints to anyone else whatever the page shows).
import type { ReactNode } from 'react';
import type { Who } from './api';
import type { T } from './i18n';
import { match } from './router';
import { PaidOrder } from './pages/PaidOrder';
import { OperatorOrders } from './pages/Operator';
import { OperatorOrder } from './pages/OperatorOrder';
import { OperatorAccounts } from './pages/OperatorAccounts';
import { OperatorCa } from './pages/OperatorCa';
import './paid.css';

export function extraPage(path: string, who: Who): ReactNode | null {
  if (path === '/order') return <PaidOrder />;
  if (!who.IsOperator) return null;
  if (path === '/operator/orders') return <OperatorOrders />;
  const order = match('/operator/orders/:id', path);
  if (order) return <OperatorOrder id={order.id!} />;
  if (path === '/operator/accounts') return <OperatorAccounts self={who.Uin} />;
  if (path === '/operator/ca') return <OperatorCa />;
  return null;
}

export function extraNav(who: Who, t: T): [string, string][] {
  return [['/order', t('navOrder')],
    ...(who.IsOperator ? [['/operator/orders', t('navReview')], ['/operator/accounts', t('navAccounts')], ['/operator/ca', t('navCa')]] as [string, string][] : [])];
}
