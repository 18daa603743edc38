// Paid (OV/EV) orders.
/** A paid (OV/EV) order: what was bought and submitted, and its review. */
export interface PaidOrderRecord {
  certId: string;
  accountUin: string;
  productId: number;
  domainNum: number;
  timeSpan: number;
  validityDays: number;
  dealId: string;
  /** SubmittedData as submitted (without the key password). */
  submitted: Record<string, unknown> | null;
  csrPem: string | null;
  letterSealed: string | null;
  letterType: string | null;
  reviewNote: string | null;
  reviewedBy: string | null;
  reviewedAt: number | null;
  createdAt: number;
}
