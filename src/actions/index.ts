// The action table: every action certport serves, by its spec name.
import { ApplyCertificate, CancelCertificateOrder, CheckCertificateDomainVerification, ReplaceCertificate } from './apply-certificate.js';
import { BatchDeleteCSR, CreateCSR, DescribeCSR, DescribeCSRSet, ModifyCSR } from './csr.js';
import {
  CancelAuditCertificate, CertificateInfoSubmit, CertificateOrderSubmit, CommitCertificateInformation, CreateCertificate, ModifyCertificateResubmit,
  SubmitCertificateInformation, UploadConfirmLetter,
} from './paid-certificates.js';
import { deployActions } from './deploy.js';
import { deployUploadActions } from './deploy-upload.js';
import { DeleteManager, DescribeCompanies, DescribeManagerDetail, DescribeManagers, SubmitAuditManager, VerifyManager } from './organizations.js';
import { DescribeDownloadCertificateUrl, DownloadCertificate } from './download-certificate.js';
import { DescribeCertificate, DescribeCertificateDetail } from './describe-certificate.js';
import { DescribeCertificateOperateLogs } from './describe-certificate-operate-logs.js';
import { DescribeCertificates } from './describe-certificates.js';
import { DeleteCertificate, ModifyCertificateAlias, ModifyCertificateProject } from './modify-certificate.js';
import type { ActionHandler } from './types.js';
import { UploadCertificate } from './upload-certificate.js';

export const actions: Record<string, ActionHandler> = {
  UploadCertificate,
  DescribeCertificates,
  DescribeCertificate,
  DescribeCertificateDetail,
  ModifyCertificateAlias,
  ModifyCertificateProject,
  DeleteCertificate,
  DescribeCertificateOperateLogs,
  DownloadCertificate,
  DescribeDownloadCertificateUrl,
  ApplyCertificate,
  CancelCertificateOrder,
  ReplaceCertificate,
  CreateCertificate,
  SubmitCertificateInformation,
  CommitCertificateInformation,
  UploadConfirmLetter,
  CancelAuditCertificate,
  ModifyCertificateResubmit,
  CertificateInfoSubmit,
  CertificateOrderSubmit,
  DescribeCompanies,
  DescribeManagers,
  DescribeManagerDetail,
  SubmitAuditManager,
  VerifyManager,
  DeleteManager,
  CheckCertificateDomainVerification,
  CreateCSR,
  DescribeCSR,
  DescribeCSRSet,
  ModifyCSR,
  BatchDeleteCSR,
  ...deployActions,
  ...deployUploadActions,
};

export type { ActionContext, ActionHandler, Services } from './types.js';
