// What a paid (OV/EV) order is submitted with, shared by the service tests and the SDK tests.
import { randomBytes } from 'node:crypto';

/** SubmitCertificateInformation's organization and people. */
export const ORG = {
  OrganizationName: 'Example Widgets Ltd', OrganizationDivision: 'IT', OrganizationAddress: '1 Example Road', OrganizationCountry: 'CN',
  OrganizationCity: 'Shenzhen', OrganizationRegion: 'Guangdong', PostalCode: '518000', PhoneAreaCode: '0755', PhoneNumber: '86013388',
  AdminFirstName: 'Ada', AdminLastName: 'Lovelace', AdminPhoneNum: '13800000000', AdminEmail: 'ada@example.test', AdminPosition: 'CTO',
  ContactFirstName: 'Alan', ContactLastName: 'Turing', ContactEmail: 'alan@example.test', ContactNumber: '13900000000', ContactPosition: 'Ops',
};

/** A confirmation letter: a PNG of at least 1 KB (the signature, then padding the checker does not read), Base64. */
export const png = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2048)]).toString('base64');
