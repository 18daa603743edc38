// The Tag API (2018-08-13) subset over certificate tags, through the official SDK's tag client
// (issue 23): the Terraform provider's two calls byte for byte, both ways with DescribeCertificates,
// and the rest of the subset.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, expectCode, startTestService, type Cred, type TestService } from '../../testing/harness.js';
import { makeChain } from '../../testing/pki-fixtures.js';
import { tc3Request } from '../../testing/raw-client.js';
import { tagClient, type TagClient } from '../../testing/tls.js';

for (const backend of BACKENDS) {
  describe(`Tag API 2018-08-13 (${backend})`, () => {
    let t: TestService;
    let tags: TagClient;
    let a: string;
    let b: string;
    let other: Cred;
    let otherId: string;
    before(async () => {
      t = await startTestService(backend);
      tags = tagClient(t.port, t.cred);
      const chain = await makeChain('EC', 'tags.example.com');
      a = (await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Tags: [{ TagKey: 'team', TagValue: 'web' }] })).CertificateId!;
      b = (await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: 'b' })).CertificateId!;
      other = await t.newAccount();
      const { sdkClient } = await import('../../testing/harness.js');
      otherId = (await sdkClient(t.port, other).UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Tags: [{ TagKey: 'team', TagValue: 'theirs' }] })).CertificateId!;
    });
    after(async () => {
      await t?.close();
    });

    test('Terraform: DescribeResourceTagsByResourceIds as the provider sends it reads the tags given at upload', async () => {
      // Exactly the provider's request: no ResourceRegion, no paging.
      const r = await tags.DescribeResourceTagsByResourceIds({ ServiceType: 'ssl', ResourcePrefix: 'certificate', ResourceIds: [a] } as never);
      assert.equal(r.TotalCount, 1);
      assert.deepEqual(r.Tags!.map((x) => ({ k: x.TagKey, v: x.TagValue, id: x.ResourceId, s: x.ServiceType })), [{ k: 'team', v: 'web', id: a, s: 'ssl' }]);
      assert.match(r.Tags![0]!.TagKeyMd5!, /^[0-9a-f]{32}$/);
    });

    test('Terraform: ModifyResourceTags writes what DescribeCertificates shows and filters by', async () => {
      await tags.ModifyResourceTags({ Resource: `qcs::ssl:ap-guangzhou:uin/:certificate/${b}`, ReplaceTags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'api' }], DeleteTags: [] });
      const d = await t.client.DescribeCertificate({ CertificateId: b });
      assert.deepEqual(d.Tags?.map((x) => [x.TagKey, x.TagValue]).sort(), [['env', 'prod'], ['team', 'api']]);
      const byTag = await t.client.DescribeCertificates({ Tags: [{ TagKey: 'env', TagValue: 'prod' }] });
      assert.deepEqual(byTag.Certificates!.map((c) => c.CertificateId), [b]);
      // The region segment may be empty; DeleteTags removes.
      await tags.ModifyResourceTags({ Resource: `qcs::ssl::uin/${t.cred.accountUin}:certificate/${b}`, ReplaceTags: [], DeleteTags: [{ TagKey: 'env' }] });
      const list = await t.client.DescribeCertificates({ SearchKey: b });
      assert.deepEqual(list.Certificates!.find((c) => c.CertificateId === b)!.Tags!.map((x) => [x.TagKey, x.TagValue]), [['team', 'api']]);
      assert.equal((await t.client.DescribeCertificates({ Tags: [{ TagKey: 'env', TagValue: 'prod' }] })).TotalCount, 0);
    });

    test('another account\'s certificate is not found; another service\'s resource is InvalidParameterValue', async () => {
      await expectCode(tags.ModifyResourceTags({ Resource: `qcs::ssl::uin/:certificate/${otherId}`, ReplaceTags: [{ TagKey: 'x', TagValue: 'y' }] }), 'ResourceNotFound');
      await expectCode(tags.ModifyResourceTags({ Resource: `qcs::ssl::uin/${other.accountUin}:certificate/${a}`, ReplaceTags: [{ TagKey: 'x', TagValue: 'y' }] }), 'ResourceNotFound');
      await expectCode(tags.ModifyResourceTags({ Resource: 'qcs::cvm:ap-guangzhou:uin/:instance/ins-123', ReplaceTags: [{ TagKey: 'x', TagValue: 'y' }] }), 'InvalidParameterValue');
      await expectCode(tags.ModifyResourceTags({ Resource: 'not-a-resource', ReplaceTags: [] }), 'InvalidParameterValue.ResourceDescriptionError');
      await expectCode(tags.DescribeResourceTagsByResourceIds({ ServiceType: 'cvm', ResourcePrefix: 'instance', ResourceIds: ['ins-1'] } as never), 'InvalidParameterValue');
      // Another account's id reads as no tags, and its tags are untouched.
      assert.equal((await tags.DescribeResourceTagsByResourceIds({ ServiceType: 'ssl', ResourcePrefix: 'certificate', ResourceIds: [otherId] } as never)).TotalCount, 0);
      await expectCode(tags.ModifyResourceTags({ Resource: `qcs::ssl::uin/:certificate/${a}`, ReplaceTags: [{ TagKey: 'qcs:x', TagValue: 'y' }] }), 'InvalidParameterValue.TagKeyCharacterIllegal');
      await expectCode(tags.ModifyResourceTags({ Resource: `qcs::ssl::uin/:certificate/${a}`, ReplaceTags: [{ TagKey: 'k'.repeat(128), TagValue: 'y' }] }), 'InvalidParameterValue.TagKeyLengthExceeded');
      await expectCode(tags.ModifyResourceTags({ Resource: `qcs::ssl::uin/:certificate/${a}`, ReplaceTags: [{ TagKey: 'k', TagValue: '1' }, { TagKey: 'k', TagValue: '2' }] }), 'InvalidParameterValue.TagKeyDuplicate');
    });

    test('TagResources and UnTagResources report failures per resource', async () => {
      const ra = `qcs::ssl::uin/:certificate/${a}`;
      const r = await tags.TagResources({ ResourceList: [ra, `qcs::ssl::uin/:certificate/${otherId}`], Tags: [{ TagKey: 'owner', TagValue: 'ops' }] });
      assert.deepEqual(r.FailedResources!.map((f) => [f.Resource, f.Code]), [[`qcs::ssl::uin/:certificate/${otherId}`, 'ResourceNotFound']]);
      assert.ok((await t.client.DescribeCertificate({ CertificateId: a })).Tags!.some((x) => x.TagKey === 'owner' && x.TagValue === 'ops'));
      const u = await tags.UnTagResources({ ResourceList: [ra], TagKeys: ['owner'] });
      assert.deepEqual(u.FailedResources, []);
      assert.ok(!(await t.client.DescribeCertificate({ CertificateId: a })).Tags!.some((x) => x.TagKey === 'owner'));
    });

    test('DescribeResourceTags, DescribeTagKeys, DescribeTagValues, GetResources: the caller\'s tags only', async () => {
      const rows = await tags.DescribeResourceTags({ ServiceType: 'ssl', ResourcePrefix: 'certificate', Limit: 100 });
      assert.ok(rows.Rows!.every((x) => x.ResourceId === a || x.ResourceId === b), JSON.stringify(rows.Rows));
      assert.equal((await tags.DescribeResourceTags({ ServiceType: 'cvm' })).TotalCount, 0);
      assert.deepEqual((await tags.DescribeResourceTags({ ResourceId: a })).Rows!.map((x) => x.TagKey), ['team']);
      const keys = await tags.DescribeTagKeys({});
      assert.deepEqual(keys.Tags, ['team']);
      const values = await tags.DescribeTagValues({ TagKeys: ['team'] });
      assert.deepEqual(values.Tags!.map((x) => x.TagValue), ['api', 'web']);
      const all = await tags.GetResources({});
      assert.deepEqual(all.ResourceTagMappingList!.map((m) => m.Resource).sort(), [a, b].sort().map((id) => `qcs::ssl::uin/${t.cred.accountUin}:certificate/${id}`));
      const web = await tags.GetResources({ TagFilters: [{ TagKey: 'team', TagValue: ['web'] }] });
      assert.deepEqual(web.ResourceTagMappingList!.map((m) => m.Resource), [`qcs::ssl::uin/${t.cred.accountUin}:certificate/${a}`]);
      // One per page: the token leads to the other and then to the end.
      const p1 = await tags.GetResources({ MaxResults: 1 });
      assert.ok(p1.PaginationToken);
      const p2 = await tags.GetResources({ MaxResults: 1, PaginationToken: p1.PaginationToken! });
      assert.equal(p2.ResourceTagMappingList!.length, 1);
      assert.notEqual(p2.ResourceTagMappingList![0]!.Resource, p1.ResourceTagMappingList![0]!.Resource);
      assert.equal(p2.PaginationToken, '');
    });

    test('routing: the ssl client reaches no Tag action and the version picks the API', async () => {
      await expectCode((t.client as any).request('DescribeTagKeys', {}), 'InvalidAction');
      const viaScope = await tc3Request(t.port, t.cred, { action: 'DescribeTagKeys', version: '2018-08-13', service: 'tag', body: '{}' });
      assert.ok(Array.isArray(viaScope.json.Response.Tags), viaScope.body);
      assert.equal(viaScope.headers['content-type'], 'application/json');
      const wrong = await tc3Request(t.port, t.cred, { action: 'DescribeTagKeys', version: '2019-12-05', service: 'tag', body: '{}' });
      assert.equal(wrong.json.Response.Error.Code, 'NoSuchVersion');
      // A scope naming no service (the Node SDK's `127`): the version picks the Tag API, which has no such action.
      const unknown = await tc3Request(t.port, t.cred, { action: 'DescribeCertificates', version: '2018-08-13', service: '127', body: '{}' });
      assert.equal(unknown.json.Response.Error.Code, 'InvalidAction');
      const sslScope = await tc3Request(t.port, t.cred, { action: 'DescribeCertificates', version: '2018-08-13', service: 'ssl', body: '{}' });
      assert.equal(sslScope.json.Response.Error.Code, 'NoSuchVersion');
    });
  });
}
