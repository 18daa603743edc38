// The action table serves exactly the actions it served before the one-file-per-action split
// (issue 21), each from the file named after it, and how that set stands against the SDK.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tc from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/index.js';
import { actions } from './index.js';

/** Every action served: the table before the split (66), and RevokeCertificate, UploadRevokeLetter, CheckCertificateChain, CheckCertificateExist, CompleteCertificate, DescribePackages and CreateCertificateByPackage (issue 24). */
const SERVED = [
  'ApplyCertificate', 'BatchDeleteCSR', 'CancelAuditCertificate', 'CancelCertificateOrder', 'CertificateInfoSubmit',
  'CertificateOrderSubmit', 'CheckCertificateChain', 'CheckCertificateDomainVerification', 'CheckCertificateExist', 'CommitCertificateInformation', 'CompleteCertificate', 'CreateCSR', 'CreateCertificate',
  'CreateCertificateBindResourceSyncTask', 'CreateCertificateByPackage', 'DeleteCertificate', 'DeleteCertificates', 'DeleteManager', 'DeployCertificateInstance',
  'DeployCertificateRecordRetry', 'DeployCertificateRecordRollback', 'DescribeCSR', 'DescribeCSRSet', 'DescribeCertificate',
  'DescribeCertificateBindResourceTaskDetail', 'DescribeCertificateBindResourceTaskResult', 'DescribeCertificateDetail',
  'DescribeCertificateOperateLogs', 'DescribeCertificates', 'DescribeCompanies', 'DescribeDeleteCertificatesTaskResult',
  'DescribeDeployedResources', 'DescribeDownloadCertificateUrl', 'DescribeHostApiGatewayInstanceList', 'DescribeHostCdnInstanceList',
  'DescribeHostClbInstanceList', 'DescribeHostCosInstanceList', 'DescribeHostDdosInstanceList', 'DescribeHostDeployRecord',
  'DescribeHostDeployRecordDetail', 'DescribeHostLighthouseInstanceList', 'DescribeHostLiveInstanceList', 'DescribeHostTeoInstanceList',
  'DescribeHostTkeInstanceList', 'DescribeHostUpdateRecord', 'DescribeHostUpdateRecordDetail', 'DescribeHostUploadUpdateRecord',
  'DescribeHostUploadUpdateRecordDetail', 'DescribeHostVodInstanceList', 'DescribeHostWafInstanceList', 'DescribeManagerDetail',
  'DescribeManagers', 'DescribePackages', 'DownloadCertificate', 'ModifyCSR', 'ModifyCertificateAlias', 'ModifyCertificateProject',
  'ModifyCertificateResubmit', 'ModifyCertificatesExpiringNotificationSwitch', 'ReplaceCertificate', 'RevokeCertificate', 'SubmitAuditManager',
  'SubmitCertificateInformation', 'UpdateCertificateInstance', 'UpdateCertificateRecordRetry', 'UpdateCertificateRecordRollback',
  'UploadCertificate', 'UploadConfirmLetter', 'UploadRevokeLetter', 'UploadUpdateCertificateInstance', 'UploadUpdateCertificateRecordRetry',
  'UploadUpdateCertificateRecordRollback', 'VerifyManager',
];
/** The SDK's actions certport does not serve. */
const NOT_SERVED: string[] = [];
/** Served beyond the SDK's ssl client (the spec's CSR APIs, which that client lacks). */
const BEYOND_SDK = ['BatchDeleteCSR', 'CreateCSR', 'DescribeCSR', 'DescribeCSRSet', 'ModifyCSR'];

/** `DescribeCSRSet` → `describe-csr-set`: the file an action lives in. */
const fileOf = (action: string) => action.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').toLowerCase();

test('the table names exactly the actions served, in alphabetical order', () => {
  assert.equal(SERVED.length, 73);
  assert.deepEqual(Object.keys(actions), [...SERVED].sort());
  assert.deepEqual(Object.keys(actions), SERVED);
});

test('against the SDK client: all 68 of its actions, and the 5 CSR actions beyond it', () => {
  const sdk = Object.getOwnPropertyNames(tc.v20191205.Client.prototype).filter((n) => /^[A-Z]/.test(n)).sort();
  assert.equal(sdk.length, 68);
  assert.deepEqual(sdk.filter((n) => !Object.hasOwn(actions, n)), NOT_SERVED);
  assert.deepEqual(Object.keys(actions).filter((n) => !sdk.includes(n)), BEYOND_SDK);
  assert.equal(Object.keys(actions).filter((n) => sdk.includes(n)).length, 68);
});

test('each action is the export of the file named after it', async () => {
  assert.equal(fileOf('DescribeHostUpdateRecordDetail'), 'describe-host-update-record-detail');
  assert.equal(fileOf('BatchDeleteCSR'), 'batch-delete-csr');
  for (const [name, handler] of Object.entries(actions)) {
    const mod = (await import(`./${fileOf(name)}.js`)) as Record<string, unknown>;
    assert.equal(mod[name], handler, `${fileOf(name)}.ts exports ${name}`);
  }
});
