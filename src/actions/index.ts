// The action table: every action certport serves, by its spec name, one file each
// (<kebab-case-name>.ts). The API answers InvalidAction for any name not listed here.
import { ApplyCertificate } from './apply-certificate.js';
import { BatchDeleteCSR } from './batch-delete-csr.js';
import { CancelAuditCertificate } from './cancel-audit-certificate.js';
import { CancelCertificateOrder } from './cancel-certificate-order.js';
import { CertificateInfoSubmit } from './certificate-info-submit.js';
import { CertificateOrderSubmit } from './certificate-order-submit.js';
import { CheckCertificateChain } from './check-certificate-chain.js';
import { CheckCertificateDomainVerification } from './check-certificate-domain-verification.js';
import { CheckCertificateExist } from './check-certificate-exist.js';
import { CommitCertificateInformation } from './commit-certificate-information.js';
import { CompleteCertificate } from './complete-certificate.js';
import { CreateCSR } from './create-csr.js';
import { CreateCertificate } from './create-certificate.js';
import { CreateCertificateBindResourceSyncTask } from './create-certificate-bind-resource-sync-task.js';
import { CreateCertificateByPackage } from './create-certificate-by-package.js';
import { DeleteCertificate } from './delete-certificate.js';
import { DeleteCertificates } from './delete-certificates.js';
import { DeleteManager } from './delete-manager.js';
import { DeployCertificateInstance } from './deploy-certificate-instance.js';
import { DeployCertificateRecordRetry } from './deploy-certificate-record-retry.js';
import { DeployCertificateRecordRollback } from './deploy-certificate-record-rollback.js';
import { DescribeCSR } from './describe-csr.js';
import { DescribeCSRSet } from './describe-csr-set.js';
import { DescribeCertificate } from './describe-certificate.js';
import { DescribeCertificateBindResourceTaskDetail } from './describe-certificate-bind-resource-task-detail.js';
import { DescribeCertificateBindResourceTaskResult } from './describe-certificate-bind-resource-task-result.js';
import { DescribeCertificateDetail } from './describe-certificate-detail.js';
import { DescribeCertificateOperateLogs } from './describe-certificate-operate-logs.js';
import { DescribeCertificates } from './describe-certificates.js';
import { DescribeCompanies } from './describe-companies.js';
import { DescribeDeleteCertificatesTaskResult } from './describe-delete-certificates-task-result.js';
import { DescribeDeployedResources } from './describe-deployed-resources.js';
import { DescribeDownloadCertificateUrl } from './describe-download-certificate-url.js';
import { DescribeHostApiGatewayInstanceList } from './describe-host-api-gateway-instance-list.js';
import { DescribeHostCdnInstanceList } from './describe-host-cdn-instance-list.js';
import { DescribeHostClbInstanceList } from './describe-host-clb-instance-list.js';
import { DescribeHostCosInstanceList } from './describe-host-cos-instance-list.js';
import { DescribeHostDdosInstanceList } from './describe-host-ddos-instance-list.js';
import { DescribeHostDeployRecord } from './describe-host-deploy-record.js';
import { DescribeHostDeployRecordDetail } from './describe-host-deploy-record-detail.js';
import { DescribeHostLighthouseInstanceList } from './describe-host-lighthouse-instance-list.js';
import { DescribeHostLiveInstanceList } from './describe-host-live-instance-list.js';
import { DescribeHostTeoInstanceList } from './describe-host-teo-instance-list.js';
import { DescribeHostTkeInstanceList } from './describe-host-tke-instance-list.js';
import { DescribeHostUpdateRecord } from './describe-host-update-record.js';
import { DescribeHostUpdateRecordDetail } from './describe-host-update-record-detail.js';
import { DescribeHostUploadUpdateRecord } from './describe-host-upload-update-record.js';
import { DescribeHostUploadUpdateRecordDetail } from './describe-host-upload-update-record-detail.js';
import { DescribeHostVodInstanceList } from './describe-host-vod-instance-list.js';
import { DescribeHostWafInstanceList } from './describe-host-waf-instance-list.js';
import { DescribeManagerDetail } from './describe-manager-detail.js';
import { DescribeManagers } from './describe-managers.js';
import { DescribePackages } from './describe-packages.js';
import { DownloadCertificate } from './download-certificate.js';
import { ModifyCSR } from './modify-csr.js';
import { ModifyCertificateAlias } from './modify-certificate-alias.js';
import { ModifyCertificateProject } from './modify-certificate-project.js';
import { ModifyCertificateResubmit } from './modify-certificate-resubmit.js';
import { ModifyCertificatesExpiringNotificationSwitch } from './modify-certificates-expiring-notification-switch.js';
import { ReplaceCertificate } from './replace-certificate.js';
import { RevokeCertificate } from './revoke-certificate.js';
import { SubmitAuditManager } from './submit-audit-manager.js';
import { SubmitCertificateInformation } from './submit-certificate-information.js';
import { UpdateCertificateInstance } from './update-certificate-instance.js';
import { UpdateCertificateRecordRetry } from './update-certificate-record-retry.js';
import { UpdateCertificateRecordRollback } from './update-certificate-record-rollback.js';
import { UploadCertificate } from './upload-certificate.js';
import { UploadConfirmLetter } from './upload-confirm-letter.js';
import { UploadRevokeLetter } from './upload-revoke-letter.js';
import { UploadUpdateCertificateInstance } from './upload-update-certificate-instance.js';
import { UploadUpdateCertificateRecordRetry } from './upload-update-certificate-record-retry.js';
import { UploadUpdateCertificateRecordRollback } from './upload-update-certificate-record-rollback.js';
import { VerifyManager } from './verify-manager.js';
import type { ActionHandler } from './types.js';

export const actions: Record<string, ActionHandler> = {
  ApplyCertificate,
  BatchDeleteCSR,
  CancelAuditCertificate,
  CancelCertificateOrder,
  CertificateInfoSubmit,
  CertificateOrderSubmit,
  CheckCertificateChain,
  CheckCertificateDomainVerification,
  CheckCertificateExist,
  CommitCertificateInformation,
  CompleteCertificate,
  CreateCSR,
  CreateCertificate,
  CreateCertificateBindResourceSyncTask,
  CreateCertificateByPackage,
  DeleteCertificate,
  DeleteCertificates,
  DeleteManager,
  DeployCertificateInstance,
  DeployCertificateRecordRetry,
  DeployCertificateRecordRollback,
  DescribeCSR,
  DescribeCSRSet,
  DescribeCertificate,
  DescribeCertificateBindResourceTaskDetail,
  DescribeCertificateBindResourceTaskResult,
  DescribeCertificateDetail,
  DescribeCertificateOperateLogs,
  DescribeCertificates,
  DescribeCompanies,
  DescribeDeleteCertificatesTaskResult,
  DescribeDeployedResources,
  DescribeDownloadCertificateUrl,
  DescribeHostApiGatewayInstanceList,
  DescribeHostCdnInstanceList,
  DescribeHostClbInstanceList,
  DescribeHostCosInstanceList,
  DescribeHostDdosInstanceList,
  DescribeHostDeployRecord,
  DescribeHostDeployRecordDetail,
  DescribeHostLighthouseInstanceList,
  DescribeHostLiveInstanceList,
  DescribeHostTeoInstanceList,
  DescribeHostTkeInstanceList,
  DescribeHostUpdateRecord,
  DescribeHostUpdateRecordDetail,
  DescribeHostUploadUpdateRecord,
  DescribeHostUploadUpdateRecordDetail,
  DescribeHostVodInstanceList,
  DescribeHostWafInstanceList,
  DescribeManagerDetail,
  DescribeManagers,
  DescribePackages,
  DownloadCertificate,
  ModifyCSR,
  ModifyCertificateAlias,
  ModifyCertificateProject,
  ModifyCertificateResubmit,
  ModifyCertificatesExpiringNotificationSwitch,
  ReplaceCertificate,
  RevokeCertificate,
  SubmitAuditManager,
  SubmitCertificateInformation,
  UpdateCertificateInstance,
  UpdateCertificateRecordRetry,
  UpdateCertificateRecordRollback,
  UploadCertificate,
  UploadConfirmLetter,
  UploadRevokeLetter,
  UploadUpdateCertificateInstance,
  UploadUpdateCertificateRecordRetry,
  UploadUpdateCertificateRecordRollback,
  VerifyManager,
};

export { tagActions, TAG_API_VERSION } from './tag/index.js';
export type { ActionContext, ActionHandler, Services } from './types.js';
