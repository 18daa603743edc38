// Error messages in the caller's language. The Python SDK, tccli and the Go SDK send
// `X-TC-Language: zh-CN` by default (v1 requests: the `Language` parameter); the others send
// en-US or nothing. Codes in the catalogue answer in Chinese; where the English message names
// what was wrong (a parameter, an id), that detail follows in brackets. Codes outside the
// catalogue keep their English message.
import type { FastifyRequest } from 'fastify';

const ZH: Readonly<Record<string, string>> = {
  'AuthFailure.InvalidAuthorization': '请求头部的 Authorization 不符合腾讯云标准。',
  'AuthFailure.SecretIdNotFound': '密钥不存在，请确认 SecretId 是否正确或已被删除、禁用。',
  'AuthFailure.SignatureExpire': '签名过期。Timestamp 与服务器接收到请求的时间相差不得超过五分钟。',
  'AuthFailure.SignatureFailure': '签名错误。请检查签名计算过程和 SecretKey 是否正确。',
  'AuthFailure.UnauthorizedOperation': '请求未授权。',
  'FailedOperation.CertificateNotFound': '证书不存在。',
  'FailedOperation.InvalidCertificateStatusCode': '证书状态不正确，当前状态不支持该操作。',
  'FailedOperation.InvalidCertificateSource': '证书来源错误，上传的证书不支持该操作。',
  'FailedOperation.CannotBeDeletedWithinHour': '免费证书申请 1 小时内不允许删除。',
  'FailedOperation.InvalidParam': '参数错误。',
  'FailedOperation.ExceedsFreeLimit': '免费证书申请数量已达上限。',
  'FailedOperation.MainDomainCertificateCountLimit': '该主域名下的免费证书数量已达上限。',
  'FailedOperation.OrderAlreadyReplaced': '订单已经重颁发。',
  'FailedOperation.CertificateExists': '证书已存在。',
  'FailedOperation.CertificateNotFoundOrCantCancel': '证书不存在或者无法取消审核。',
  'FailedOperation.CertificateStatusNotAllowResubmit': '该证书状态不允许重新提交审核。',
  'ResourceNotFound.Manager': '公司管理人不存在。',
  'FailedOperation.PackageCountLimit': '权益点余量不足。',
  'FailedOperation.PackageExpired': '权益包已过期。',
  'FailedOperation.PackageNotFound': '权益包不存在。',
  'InvalidParameter.PackageIdsInvalid': '权益点ID列表无效。',
  'FailedOperation': '操作失败。',
  'InternalError': '内部错误。',
  'InvalidAction': '接口不存在。',
  'InvalidParameter': '参数错误。',
  'InvalidParameterValue': '参数取值错误。',
  'MissingParameter': '缺少参数错误。',
  'UnknownParameter': '未知参数错误，用户多传未定义的参数会导致错误。',
  'NoSuchVersion': '接口版本不存在。',
  'RequestLimitExceeded': '请求的次数超过了频率限制。',
  'RequestSizeLimitExceeded': '请求包超过限制大小。',
  'UnsupportedProtocol': 'HTTP(S) 请求协议错误，只支持 GET 和 POST 请求。',
  'ResourceNotFound': '资源不存在。',
  'ResourceInUse': '资源被占用。',
  'LimitExceeded': '超过配额限制。',
};

/** Codes whose English message carries the detail (which parameter, which id): kept after the Chinese. */
const WITH_DETAIL = /^(InvalidParameter|MissingParameter|UnknownParameter|FailedOperation\.InvalidParam$|FailedOperation\.CertificateNotFound$|FailedOperation\.InvalidCertificateStatusCode$|FailedOperation\.CannotBeDeletedWithinHour$|FailedOperation\.MainDomainCertificateCountLimit$|FailedOperation\.Package\w+$|FailedOperation\.CertificateNotFoundOrCantCancel$|FailedOperation\.CertificateStatusNotAllowResubmit$|FailedOperation$)/;

/** The Chinese catalogue entry of a code, or of its family (InvalidParameter.X → InvalidParameter). */
function zhOf(code: string): string | undefined {
  return ZH[code] ?? (code.startsWith('InvalidParameterValue.') ? ZH.InvalidParameterValue
    : code.startsWith('InvalidParameter.') ? ZH.InvalidParameter : undefined);
}

export function localizeMessage(code: string, english: string, lang: string | null): string {
  if (!lang || !/^zh(-|_|$)/i.test(lang)) return english;
  const zh = zhOf(code);
  if (!zh) return english;
  return WITH_DETAIL.test(code) && english ? `${zh}（${english}）` : zh;
}

/** The language asked for: the X-TC-Language header (TC3), else the v1 `Language` parameter. */
export function languageOf(req: FastifyRequest): string | null {
  const h = req.headers['x-tc-language'];
  if (typeof h === 'string' && h) return h;
  const i = req.url.indexOf('?');
  const fromQuery = i >= 0 ? new URLSearchParams(req.url.slice(i + 1)).get('Language') : null;
  if (fromQuery) return fromQuery;
  const type = String(req.headers['content-type'] ?? '');
  if (Buffer.isBuffer(req.body) && type.startsWith('application/x-www-form-urlencoded') && req.body.length < 64 * 1024) {
    return new URLSearchParams(req.body.toString('latin1')).get('Language');
  }
  return null;
}
