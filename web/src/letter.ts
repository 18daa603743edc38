// A letter file (PDF, JPG or PNG) as the Base64 UploadConfirmLetter and UploadRevokeLetter take.
// Size and format are the server's to judge: its error codes are shown as they come.
export async function fileBase64(f: File): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** The letter codes of the spec, for a message in the reader's language beside the server's. */
export const LETTER_CODES = {
  'FailedOperation.ConfirmLetterTooLarge': 'letterTooLarge',
  'FailedOperation.ConfirmLetterTooSmall': 'letterTooSmall',
  'FailedOperation.InvalidConfirmLetterFormat': 'letterBadFormat',
  'FailedOperation.InvalidParam': 'letterBadFormat',
  RequestSizeLimitExceeded: 'letterTooLarge',
} as const;
