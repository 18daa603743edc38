// What each sealed value is bound to (the AES-GCM additional data): its owner, so that a
// sealed value copied into another row does not open. One place for every kind, because the
// code that seals, the code that opens and the master-key rotation (which opens and seals
// every value again) must agree byte for byte.
export const aad = {
  apiKey: (secretId: string) => 'apikey:' + secretId,
  certKey: (certId: string) => 'certkey:' + certId,
  keyPassword: (certId: string) => 'keypass:' + certId,
  encryptKey: (certId: string) => 'certenckey:' + certId,
  letter: (certId: string) => 'letter:' + certId,
  revokeLetter: (certId: string) => 'revokeletter:' + certId,
  ca: (name: string) => 'ca:' + name,
  acmeAccount: (directoryUrl: string) => 'acme:' + directoryUrl,
  csrKey: (accountUin: string, id: number) => `csrkey:${accountUin}:${id}`,
  csrKeyPassword: (accountUin: string, id: number) => `csrkeypass:${accountUin}:${id}`,
  deployerSecret: (accountUin: string, id: string) => `deployer:${accountUin}:${id}`,
  webhookSecret: (accountUin: string) => `notify-webhook:${accountUin}`,
  /** A master key kept in the key ring, sealed under the key before it. */
  masterKey: (kid: string) => 'master-key:' + kid,
} as const;
