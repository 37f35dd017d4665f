import type { CreateEnterpriseInquiryData, CreateEnterpriseInquiryResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handlePublic, type Operations } from './handler.js';

// Public: the form needs no key. A key that is sent was checked by auth, and changes nothing here.
export function enterpriseOperations({ inquiries }: DataLayer): Operations {
  return {
    createEnterpriseInquiry: handlePublic<CreateEnterpriseInquiryData, CreateEnterpriseInquiryResponse>(202, ({ body }) =>
      inquiries.submit(body),
    ),
  };
}
