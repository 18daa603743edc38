// Ordering an OV/EV certificate: CreateCertificate (once), then SubmitCertificateInformation with
// the names, the key and the organization, then CommitCertificateInformation. The certificate's
// page then follows the order (the letter, the review, validation, issuance). `?id=` continues an
// order that was created but not submitted (status 5).
import { useState, type FormEvent, type ReactNode } from 'react';
import { action } from '../api';
import { useI18n, type Key } from '../i18n';
import { useRoute } from '../router';
import { ErrorBox } from '../ui';

/** The OV/EV products offered here (ProductId: the spec's catalogue). */
const PRODUCTS: [number, string, Key][] = [
  [43, 'DNSPod OV', 'productOv'], [44, 'DNSPod OV wildcard', 'productOvWildcard'], [45, 'DNSPod OV multi-domain', 'productOvMulti'],
  [46, 'DNSPod EV', 'productEv'], [47, 'DNSPod EV multi-domain', 'productEvMulti'],
];
const MULTI = new Set([45, 47]);

const ORG_FIELDS: [string, Key, string?][] = [
  ['OrganizationName', 'orgName'], ['OrganizationDivision', 'orgDivision'], ['OrganizationAddress', 'orgAddress'],
  ['OrganizationCountry', 'orgCountry', 'CN'], ['OrganizationRegion', 'orgRegion'], ['OrganizationCity', 'orgCity'],
  ['PostalCode', 'postalCode'], ['PhoneAreaCode', 'phoneAreaCode'], ['PhoneNumber', 'phoneNumber'],
];
const ADMIN_FIELDS: [string, Key][] = [
  ['AdminFirstName', 'firstName'], ['AdminLastName', 'lastName'], ['AdminEmail', 'email'], ['AdminPhoneNum', 'phone'], ['AdminPosition', 'position'],
];
const CONTACT_FIELDS: [string, Key][] = [
  ['ContactFirstName', 'firstName'], ['ContactLastName', 'lastName'], ['ContactEmail', 'email'], ['ContactNumber', 'phone'], ['ContactPosition', 'position'],
];
/** The contact copied from the administrator when they are the same person. */
const SAME: Record<string, string> = {
  ContactFirstName: 'AdminFirstName', ContactLastName: 'AdminLastName', ContactEmail: 'AdminEmail', ContactNumber: 'AdminPhoneNum', ContactPosition: 'AdminPosition',
};

function Fields({ prefix, list, values, set }: { prefix: string; list: [string, Key, string?][]; values: Record<string, string>; set: (k: string, v: string) => void }) {
  const { t } = useI18n();
  return (
    <div className="grid2">
      {list.map(([k, label, placeholder]) => (
        <div className="field" key={k}>
          <label htmlFor={`${prefix}-${k}`}>{t(label)}</label>
          <input id={`${prefix}-${k}`} required value={values[k] ?? ''} onChange={(e) => set(k, e.target.value)} placeholder={placeholder}
            type={k.endsWith('Email') ? 'email' : 'text'} autoComplete="off" />
        </div>
      ))}
    </div>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return <fieldset className="card" aria-labelledby={id}><legend id={id}>{title}</legend>{children}</fieldset>;
}

export function PaidOrder() {
  const { t } = useI18n();
  const { go, search } = useRoute();
  const [orderId, setOrderId] = useState(search.get('id') ?? '');
  const [product, setProduct] = useState(43);
  const [domainNum, setDomainNum] = useState(2);
  const [years, setYears] = useState(1);
  const [domain, setDomain] = useState('');
  const [others, setOthers] = useState('');
  const [csrType, setCsrType] = useState<'online' | 'parse'>('online');
  const [csr, setCsr] = useState('');
  const [verify, setVerify] = useState('DNS');
  const [v, setV] = useState<Record<string, string>>({});
  const [same, setSame] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: string, val: string) => setV((o) => ({ ...o, [k]: val }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let id = orderId;
      if (!id) {
        const r = await action<{ CertificateIds: string[] }>('CreateCertificate', { ProductId: product, DomainNum: MULTI.has(product) ? domainNum : 1, TimeSpan: years });
        id = r.CertificateIds[0]!;
        // Kept: a submission refused below is corrected and sent again for this same order.
        setOrderId(id);
      }
      const people = { ...v };
      if (same) for (const [c, a] of Object.entries(SAME)) people[c] = v[a] ?? '';
      await action('SubmitCertificateInformation', {
        CertificateId: id, CsrType: csrType, ...(csrType === 'parse' ? { CsrContent: csr } : {}), CertificateDomain: domain.trim(),
        DomainList: [domain.trim(), ...others.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean)], VerifyType: verify, ...people,
      });
      await action('CommitCertificateInformation', { CertificateId: id });
      go(`/certificates/${id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main id="main">
      <h1>{t('orderTitle')}</h1>
      <p>{t('orderIntro')}</p>
      <form onSubmit={submit} className="form wide" aria-label={t('orderTitle')}>
        <Section id="o-h-product" title={t('orderProduct')}>
          {orderId ? <p role="status">{t('orderContinuing', { id: orderId })}</p> : (
            <div className="grid2">
              <div className="field">
                <label htmlFor="o-product">{t('orderProduct')}</label>
                <select id="o-product" value={product} onChange={(e) => setProduct(Number(e.target.value))}>
                  {PRODUCTS.map(([pid, name, label]) => <option key={pid} value={pid}>{t(label)} — {name}</option>)}
                </select>
              </div>
              {MULTI.has(product) ? (
                <div className="field">
                  <label htmlFor="o-num">{t('orderDomainNum')}</label>
                  <input id="o-num" type="number" min={2} max={100} value={domainNum} onChange={(e) => setDomainNum(Number(e.target.value))} />
                </div>
              ) : null}
              <div className="field">
                <label htmlFor="o-years">{t('orderYears')}</label>
                <select id="o-years" value={years} onChange={(e) => setYears(Number(e.target.value))}>
                  {[1, 2, 3].map((y) => <option key={y} value={y}>{t('yearsN', { n: y })}</option>)}
                </select>
              </div>
            </div>
          )}
        </Section>

        <Section id="o-h-domains" title={t('orderDomains')}>
          <div className="field">
            <label htmlFor="o-domain">{t('domain')}</label>
            <input id="o-domain" required value={domain} onChange={(e) => setDomain(e.target.value)} placeholder="www.example.com" autoComplete="off" spellCheck={false} />
          </div>
          {MULTI.has(product) || orderId ? (
            <div className="field">
              <label htmlFor="o-others">{t('orderOtherDomains')}</label>
              <textarea id="o-others" rows={3} value={others} onChange={(e) => setOthers(e.target.value)} spellCheck={false} />
            </div>
          ) : null}
          <fieldset>
            <legend>{t('method')}</legend>
            {[['DNS', t('methodDNS')], ['DNS_AUTO', t('methodDNSAuto')], ['FILE', t('methodFILE')]].map(([val, label]) => (
              <div key={val} className="radio">
                <input type="radio" id={`o-m-${val}`} name="o-method" checked={verify === val} onChange={() => setVerify(val!)} />
                <label htmlFor={`o-m-${val}`}>{label}</label>
              </div>
            ))}
          </fieldset>
          <fieldset>
            <legend>{t('orderKey')}</legend>
            <div className="radio">
              <input type="radio" id="o-csr-online" name="o-csr" checked={csrType === 'online'} onChange={() => setCsrType('online')} />
              <label htmlFor="o-csr-online">{t('orderKeyOnline')}</label>
            </div>
            <div className="radio">
              <input type="radio" id="o-csr-parse" name="o-csr" checked={csrType === 'parse'} onChange={() => setCsrType('parse')} />
              <label htmlFor="o-csr-parse">{t('orderKeyCsr')}</label>
            </div>
            {csrType === 'parse' ? (
              <>
                <label htmlFor="o-csr-text" className="visually-hidden">{t('csr')}</label>
                <textarea id="o-csr-text" required rows={6} value={csr} onChange={(e) => setCsr(e.target.value)} spellCheck={false} placeholder="-----BEGIN CERTIFICATE REQUEST-----" />
              </>
            ) : null}
          </fieldset>
        </Section>

        <Section id="o-h-org" title={t('orderOrganization')}>
          <Fields prefix="o-org" list={ORG_FIELDS} values={v} set={set} />
        </Section>
        <Section id="o-h-admin" title={t('orderAdmin')}>
          <Fields prefix="o-admin" list={ADMIN_FIELDS} values={v} set={set} />
        </Section>
        <Section id="o-h-contact" title={t('orderContact')}>
          <div className="field check">
            <input type="checkbox" id="o-same" checked={same} onChange={(e) => setSame(e.target.checked)} />
            <label htmlFor="o-same">{t('orderContactSame')}</label>
          </div>
          {same ? null : <Fields prefix="o-contact" list={CONTACT_FIELDS} values={v} set={set} />}
        </Section>

        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>{busy ? t('orderSubmitting') : t('orderSubmit')}</button>
      </form>
    </main>
  );
}
