// Row types: they never leave src/store/.
import type { ColumnType, Generated } from 'kysely';

export interface AccountRow { uin: string; name: string; status: string; created_at: number }
export interface UserRow { uin: string; account_uin: string; name: string; created_at: number }
export interface ApiKeyRow {
  secret_id: string;
  account_uin: string;
  user_uin: string;
  secret_key_sealed: string;
  status: string;
  created_at: number;
}
export interface ProjectRow { account_uin: string; project_id: number; name: string; created_at: number }
/**
 * On SQLite the table also has material_flags and tag_count (migration 0039_sq_list_marks), kept
 * by triggers on certificate_material and certificate_tags and read only by the listing's text statements (plan.ts):
 * never written through this type, so it is not part of it.
 */
export interface CertificateRow {
  id: string;
  account_uin: string;
  project_id: number;
  alias: string;
  certificate_type: string;
  source: string;
  status: number;
  status_msg: string | null;
  domain: string;
  sans: string;
  search_text: string;
  /** 1 when a private key is stored (the key itself lives in certificate_material). */
  has_key: number;
  fingerprint_sha1: string;
  fingerprint_sha256: string;
  serial_hex: string;
  issuer_cn: string;
  encrypt_algorithm: string;
  is_sm: number;
  is_wildcard: number;
  is_dv: number;
  not_before: number;
  not_after: number;
  certificate_use: string;
  package_type: string | null;
  product_zh_name: string;
  verify_type: string | null;
  validity_period: string;
  ca_info: string | null;
  created_at: number;
  updated_at: number;
  dv_deadline: number | null;
  validated_at: number | null;
  origin_cert_id: string | null;
  renew_order_id: string | null;
  replaced_by: string | null;
  replaced_for: string | null;
}
/** PEM and sealed key, kept apart so that list scans read narrow rows. */
export interface CertificateMaterialRow {
  cert_id: string;
  cert_pem: string;
  private_key_sealed: string | null;
  key_password_sealed: string | null;
  encrypt_cert_pem: string | null;
  encrypt_key_sealed: string | null;
  /** CertificateRecord.chainRootPem (0017). */
  chain_root_pem: string | null;
  /** SHA-256 of the leaf's SubjectPublicKeyInfo, hex (0020): a key's certificates, for keyCompromise. */
  spki_sha256?: string | null;
  /** CertificateRecord.chainFacts as JSON (0026); null when not known yet. */
  chain_facts?: string | null;
}
/** A DownloadCertificate archive once built (0026): sealed, with what it was built from. */
export interface CertificateDownloadRow {
  cert_id: string;
  /** SHA-256 of the inputs it was built from (CertificateService.download): a kept archive is served only while they are unchanged. */
  digest: string;
  /** The generated keystore password, sealed; null when the certificate's own key password is used. */
  password_sealed: string | null;
  zip_sealed: string;
  /** The archive's entry names (JSON array). */
  files: string;
  built_at: number;
}
export interface CertificateTagRow {
  cert_id: string; account_uin: string; tag_key: string; tag_value: string;
  /** The certificate's created_at (never changes), so one tag's newest certificates are read from an index. */
  cert_created_at: number;
}
export interface OperationLogRow {
  id: Generated<number>;
  account_uin: string;
  user_uin: string;
  cert_id: string;
  type: string;
  action: string;
  created_at: number;
}

/** `custody`: 'master' (sealed under the master key, before 0019), 'ca-key' (sealed under the CA key), 'pkcs11' (plain JSON: certificates and token object ids, no key). */
export interface CaMaterialRow { name: string; root_pem: string; material_sealed: string; created_at: number; custody: ColumnType<string, string | undefined, string> }
export interface DvOrderRow {
  cert_id: string;
  account_uin: string;
  method: string;
  main_domain: string;
  /** JSON: DvAuth[] */
  auths: string;
  key_algo: string;
  key_param: string;
  contact_email: string | null;
  contact_phone: string | null;
  delete_dns_auto_record: number;
  record_state: string;
  last_check_at: number | null;
  last_check_detail: string | null;
  created_at: number;
  acme_order_url: string | null;
  csr_pem: string | null;
}
export interface PaidOrderRow {
  cert_id: string;
  account_uin: string;
  product_id: number;
  domain_num: number;
  time_span: number;
  validity_days: number;
  deal_id: string;
  submitted: string | null;
  csr_pem: string | null;
  letter_sealed: string | null;
  letter_type: string | null;
  review_note: string | null;
  reviewed_by: string | null;
  reviewed_at: number | null;
  created_at: number;
}
export interface CompanyRow {
  id: number; account_uin: string; name: string; country: string; province: string; city: string; address: string; phone: string; created_at: number;
}
export interface ManagerRow {
  id: number;
  account_uin: string;
  company_id: number;
  first_name: string;
  last_name: string;
  position: string;
  phone: string;
  mail: string;
  department: string;
  /** JSON: the contact person submitted with the manager. */
  contact: string;
  status: string;
  submit_audit_at: number | null;
  verify_at: number | null;
  expire_at: number | null;
  created_at: number;
}
export interface MasterKeyRow { kid: string; key_sealed: string; sealed_by: string; created_at: number; purpose: ColumnType<string, string | undefined, string> }
export interface KeyCheckRow { purpose: string; sealed: string }
export interface AcmeAccountRow { directory_url: string; key_sealed: string; created_at: number }
export interface JobRow {
  kind: string;
  subject: string;
  state: string;
  run_at: number;
  attempts: number;
  lease_owner: string | null;
  lease_until: number;
  last_error: string | null;
  payload: string | null;
  created_at: number;
  updated_at: number;
}
/** A CSR record (CreateCSR): a draft (status 0) until its key pair and CSR are generated (1). */
export interface CsrRow {
  id: number;
  account_uin: string;
  domain: string;
  organization: string;
  department: string;
  email: string;
  province: string;
  city: string;
  country: string;
  encrypt_algo: string;
  key_parameter: string;
  remark: string;
  /** JSON: Tag[] */
  tags: string;
  status: number;
  csr_pem: string | null;
  private_key_sealed: string | null;
  key_password_sealed: string | null;
  /** Bumped on every update: modifications are compare-and-set on it. */
  revision: number;
  created_at: number;
  updated_at: number;
}

/** A resource certport deploys to (0007_deploy); JSON columns noted. */
export interface DeployResourceRow {
  id: string;
  account_uin: string;
  name: string;
  resource_type: string;
  region: string;
  /** JSON: string[] */
  domains: string;
  probe_address: string | null;
  probe_sni: string | null;
  deployer_type: string;
  /** JSON: the deployer's settings (no secrets) */
  deployer_config: string;
  deployer_secret_sealed: string | null;
  cert_id: string | null;
  cert_sha256: string | null;
  deployed_at: number | null;
  probe_sha256: string | null;
  probe_at: number | null;
  probe_error: string | null;
  created_at: number;
  updated_at: number;
}
export interface DeployRecordRow {
  id: Generated<number>;
  account_uin: string;
  user_uin: string;
  family: string;
  kind: string;
  cert_id: string;
  old_cert_id: string | null;
  /** JSON: string[] */
  resource_types: string;
  /** JSON: string[] */
  regions: string;
  status: number;
  rollback_of: number | null;
  created_at: number;
  updated_at: number;
}
export interface DeployDetailRow {
  id: Generated<number>;
  record_id: number;
  account_uin: string;
  resource_id: string;
  resource_type: string;
  region: string;
  instance_name: string;
  /** JSON: string[] */
  domains: string;
  cert_id: string;
  old_cert_id: string | null;
  status: number;
  error_msg: string | null;
  attempts: number;
  next_at: number;
  started_at: number | null;
  finished_at: number | null;
  created_at: number;
  updated_at: number;
}
export interface DeployBindTaskRow {
  id: string;
  account_uin: string;
  cert_id: string;
  status: number;
  /** JSON: the bound resources found */
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}
export interface CertNotificationSwitchRow { cert_id: string; account_uin: string; ignore_expiry: number; updated_at: number }
export interface CertDeleteTaskRow {
  id: string;
  account_uin: string;
  cert_id: string;
  /** JSON: string[] */
  domains: string;
  status: number;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface CertHostingRow {
  cert_id: string;
  account_uin: string;
  /** JSON: string[] */
  resource_types: string;
  replace_days: number | null;
  /** JSON: number[] */
  message_types: string;
  window_start: string | null;
  window_end: string | null;
  status: number;
  renew_cert_id: string | null;
  record_id: number | null;
  complete_at: number | null;
  failures: number;
  next_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A notice to a certificate's owner (0011_notices); one per event key. */
export interface NoticeRow {
  id: string;
  account_uin: string;
  cert_id: string;
  kind: string;
  event_key: string;
  subject: string;
  text: string;
  /** JSON: the webhook body's `data` */
  data: string;
  state: string;
  email_state: string;
  webhook_state: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}
export interface NotificationChannelRow {
  account_uin: string;
  /** JSON: string[] */
  emails: string;
  webhook_url: string | null;
  webhook_secret_sealed: string | null;
  active: number;
  updated_at: number;
}

export interface TlsServingRow {
  name: string;
  cert_pem: string;
  key_sealed: string;
  serial_hex: string;
  /** JSON: string[] */
  hostnames: string;
  not_before: number;
  not_after: number;
  created_at: number;
}
export interface ConsolePasswordRow { user_uin: string; account_uin: string; password_hash: string; updated_at: number }
export interface ConsoleSessionRow {
  id_hash: string; account_uin: string; user_uin: string; csrf_token: string;
  created_at: number; last_seen_at: number; expires_at: number; address: string; user_agent: string;
}

export interface ConsoleOperatorRow { user_uin: string; account_uin: string; granted_at: number }

export interface AcmeServerNonceRow { nonce: string; expires_at: number }
/** One row per registered domain of each certificate the ACME server issued (the per-domain limit). */
export interface AcmeServerIssuanceRow {
  certificate_id: string;
  registered_domain: string;
  /** The certificate's identifiers, sorted: a later order for the same set is a renewal. */
  names_key: string;
  issued_at: number;
}
export interface AcmeServerPolicyRow {
  account_uin: string;
  suffixes: string;
  wildcard: number;
  max_days: number;
  updated_at: number;
  /** JSON string[] of CIDR prefixes (0030); null: not set. */
  ip_ranges: string | null;
}
export interface AcmeServerEabRow {
  kid: string;
  account_uin: string;
  hmac_sealed: string;
  created_at: number;
  used_at: number | null;
  acme_account_id: string | null;
}
export interface AcmeServerAccountRow {
  id: string;
  thumbprint: string;
  jwk: string;
  account_uin: string;
  status: string;
  contact: string;
  eab_kid: string | null;
  created_at: number;
}
export interface AcmeServerOrderRow {
  id: string;
  acme_account_id: string;
  account_uin: string;
  status: string;
  identifiers: string;
  identifiers_key: string;
  authz_ids: string;
  expires_at: number;
  error: string | null;
  certificate_id: string | null;
  created_at: number;
  updated_at: number;
}
export interface AcmeServerAuthzRow {
  id: string;
  acme_account_id: string;
  identifier: string;
  /** 'dns' or 'ip' (0030). */
  identifier_type: string;
  wildcard: number;
  status: string;
  expires_at: number;
  challenges: string;
  created_at: number;
  updated_at: number;
}

export interface Database {
  accounts: AccountRow;
  users: UserRow;
  api_keys: ApiKeyRow;
  projects: ProjectRow;
  certificates: CertificateRow;
  certificate_material: CertificateMaterialRow;
  certificate_downloads: CertificateDownloadRow;
  certificate_tags: CertificateTagRow;
  operation_logs: OperationLogRow;
  ca_material: CaMaterialRow;
  dv_orders: DvOrderRow;
  jobs: JobRow;
  acme_accounts: AcmeAccountRow;
  csrs: CsrRow;
  paid_orders: PaidOrderRow;
  companies: CompanyRow;
  managers: ManagerRow;
  deploy_resources: DeployResourceRow;
  deploy_records: DeployRecordRow;
  deploy_details: DeployDetailRow;
  deploy_bind_tasks: DeployBindTaskRow;
  cert_notification_switch: CertNotificationSwitchRow;
  cert_delete_tasks: CertDeleteTaskRow;
  notices: NoticeRow;
  notification_channels: NotificationChannelRow;
  cert_hosting: CertHostingRow;
  master_keys: MasterKeyRow;
  tls_serving: TlsServingRow;
  key_checks: KeyCheckRow;
  acme_srv_nonces: AcmeServerNonceRow;
  acme_srv_eab: AcmeServerEabRow;
  acme_srv_policies: AcmeServerPolicyRow;
  acme_srv_issuances: AcmeServerIssuanceRow;
  acme_srv_accounts: AcmeServerAccountRow;
  acme_srv_orders: AcmeServerOrderRow;
  acme_srv_authzs: AcmeServerAuthzRow;
  revocations: RevocationRow;
  blocked_keys: BlockedKeyRow;
  crls: CrlRow;
  console_passwords: ConsolePasswordRow;
  console_sessions: ConsoleSessionRow;
  console_operators: ConsoleOperatorRow;
  packages: PackageRow;
  package_usages: PackageUsageRow;
}

/** A revocation (0020): kept after its certificate is deleted, so the CRL and OCSP go on publishing it. */
export interface RevocationRow {
  cert_id: string;
  account_uin: string;
  serial_hex: string;
  encrypt_serial_hex: string | null;
  crl_issuer: string | null;
  reason: number;
  state: string;
  requested_at: number;
  requested_by: string;
  revoked_at: number | null;
  auths: string | null;
  last_check_detail: string | null;
  letter_sealed: string | null;
  letter_type: string | null;
  confirmed_by: string | null;
  spki_sha256: string;
}
export interface BlockedKeyRow { spki_sha256: string; cert_id: string; blocked_at: number }
export interface CrlRow { issuer: string; crl_number: number; this_update: number; next_update: number; der_base64: string }

/** A package (0027): an operator's grant of paid-certificate units to an account. */
export interface PackageRow {
  id: string;
  account_uin: string;
  type: string;
  total: number;
  balance: number;
  products: string;
  granted_by: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
  revoked_at: number | null;
}
export interface PackageUsageRow { package_id: string; cert_id: string; units: number; created_at: number }
