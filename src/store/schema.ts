// Row types: they never leave src/store/.
import type { Generated } from 'kysely';

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
}
/** PEM and sealed key, kept apart so that list scans read narrow rows. */
export interface CertificateMaterialRow { cert_id: string; cert_pem: string; private_key_sealed: string | null; key_password_sealed: string | null }
export interface CertificateTagRow { cert_id: string; account_uin: string; tag_key: string; tag_value: string }
export interface OperationLogRow {
  id: Generated<number>;
  account_uin: string;
  user_uin: string;
  cert_id: string;
  type: string;
  action: string;
  created_at: number;
}

export interface Database {
  accounts: AccountRow;
  users: UserRow;
  api_keys: ApiKeyRow;
  projects: ProjectRow;
  certificates: CertificateRow;
  certificate_material: CertificateMaterialRow;
  certificate_tags: CertificateTagRow;
  operation_logs: OperationLogRow;
}
