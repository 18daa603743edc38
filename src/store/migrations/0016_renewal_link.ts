// Migration 0016_renewal_link: the renewal link indexed.
import { sql, type Migration } from 'kysely';

export function renewalLink(): Migration {
  return {
    // Deleting a certificate clears the renewal link of the certificate it renewed: found here,
    // not by reading every certificate (~45 ms per delete at 100,000, growing with the table).
    async up(db) {
      await db.schema.createIndex('certs_renew_order').on('certificates').column('renew_order_id')
        .where(sql.ref('renew_order_id'), 'is not', null).execute();
    },
  };
}
