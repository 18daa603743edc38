// Request and response shapes of the actions the SDK's models lack, written from the spec
// ("CSR APIs" and their data types) in the format of models.generated.ts. params.ts looks a
// model up in the generated models first, then here.
import type { FieldType } from './models.generated.js';

const f = (type: string, optional: boolean, array = false): FieldType => ({ type, array, optional });
const req = (type: string) => f(type, false);
const opt = (type: string) => f(type, true);
const list = (type: string, optional: boolean) => f(type, optional, true);

export const models: Record<string, Record<string, FieldType>> = {
  Tags: { TagKey: req('string'), TagValue: req('string') },
  CSRItem: {
    Id: opt('number'), OwnerUin: opt('string'), Domain: opt('string'), Organization: opt('string'),
    Department: opt('string'), Email: opt('string'), Province: opt('string'), City: opt('string'),
    Country: opt('string'), Remarks: opt('string'), Status: opt('number'), CreateTime: opt('string'),
    EncryptAlgo: opt('string'), KeyParameter: opt('string'),
  },
  BatchDeleteCSRRequest: { CSRIds: list('number', false) },
  BatchDeleteCSRResponse: { Success: list('number', true), RequestId: opt('string') },
  CreateCSRRequest: {
    Domain: req('string'), Organization: req('string'), Department: req('string'), Email: req('string'),
    Province: req('string'), City: req('string'), Country: req('string'), EncryptAlgo: req('string'),
    KeyParameter: req('string'), Generate: req('boolean'), KeyPassword: opt('string'), Remark: opt('string'),
    Tags: list('Tags', true),
  },
  CreateCSRResponse: { Id: opt('number'), RequestId: opt('string') },
  DescribeCSRRequest: { CSRId: req('number') },
  DescribeCSRResponse: {
    Id: opt('number'), OwnerUin: opt('string'), Domain: opt('string'), Organization: opt('string'),
    Department: opt('string'), Email: opt('string'), Province: opt('string'), City: opt('string'),
    Country: opt('string'), EncryptAlgo: opt('string'), KeyParameter: opt('string'), Remarks: opt('string'),
    Status: opt('number'), KeyPassword: opt('string'), CreateTime: opt('string'), CSR: opt('string'),
    PrivateKey: opt('string'), RequestId: opt('string'),
  },
  DescribeCSRSetRequest: { Limit: opt('number'), Offset: opt('number'), Domain: opt('string'), EncryptAlgo: opt('string') },
  DescribeCSRSetResponse: { Total: opt('number'), Set: list('CSRItem', true), RequestId: opt('string') },
  ModifyCSRRequest: {
    CSRId: req('number'), Generate: req('boolean'), Domain: opt('string'), Organization: opt('string'),
    Department: opt('string'), Email: opt('string'), Province: opt('string'), City: opt('string'),
    Country: opt('string'), EncryptAlgo: opt('string'), KeyParameter: opt('string'), Remark: opt('string'),
    KeyPassword: opt('string'),
  },
  ModifyCSRResponse: { Id: opt('number'), RequestId: opt('string') },
};
