// What each sealed value is bound to (the AES-GCM additional data): its owner, so that a
// sealed value copied into another row does not open. One place for every kind, because the
// code that seals, the code that opens and the master-key rotation (which opens and seals
// every value again) must agree byte for byte.
export const aad = {
  apiKey: (secretId: string) => 'apikey:' + secretId,
  certKey: (certId: string) => 'certkey:' + certId,
  keyPassword: (certId: string) => 'keypass:' + certId,
  encryptKey: (certId: string) => 'certenckey:' + certId,
  /** A certificate's DownloadCertificate archive once built, and the keystore password in it. */
  downloadZip: (certId: string) => 'certdownload:' + certId,
  downloadPassword: (certId: string) => 'certdownloadpass:' + certId,
  letter: (certId: string) => 'letter:' + certId,
  revokeLetter: (certId: string) => 'revokeletter:' + certId,
  /** A CA's material sealed under the master key (databases before 0019_ca_custody). */
  ca: (name: string) => 'ca:' + name,
  /** A CA's material sealed under the CA key. */
  caMaterial: (name: string) => 'ca-material:' + name,
  acmeAccount: (directoryUrl: string) => 'acme:' + directoryUrl,
  csrKey: (accountUin: string, id: number) => `csrkey:${accountUin}:${id}`,
  csrKeyPassword: (accountUin: string, id: number) => `csrkeypass:${accountUin}:${id}`,
  deployerSecret: (accountUin: string, id: string) => `deployer:${accountUin}:${id}`,
  webhookSecret: (accountUin: string) => `notify-webhook:${accountUin}`,
  /** The HTTPS listener's own key (tls_serving). */
  tlsKey: (name: string) => 'tls:' + name,
  /** An External Account Binding's HMAC key (certport's ACME server, acme_srv_eab). */
  acmeEab: (kid: string) => 'acme-eab:' + kid,
  /** A master key kept in the key ring, sealed under the key before it. */
  masterKey: (kid: string) => 'master-key:' + kid,
  /** A CA key kept in the key ring, sealed under the CA key before it. */
  caKeyRing: (kid: string) => 'ca-key:' + kid,
  /** The value that tells at start whether the configured master key is the database's. */
  keyCheck: (purpose: string) => 'key-check:' + purpose,
} as const;
