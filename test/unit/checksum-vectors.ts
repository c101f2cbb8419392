/** The checksum test vectors of google-resumable-media's unit tests, shared by the checksum tests. */
export const CHECKSUM_VECTORS: readonly { data: Buffer; md5: string; crc32c: string }[] = [
  { data: Buffer.from('Hi'), md5: 'waUpj5Oeh+j5YqXt/CBpGA==', crc32c: 'ihY6wA==' },
  { data: Buffer.from('All of the data goes in a stream.'), md5: 'GRvfKbqr5klAOwLkxgIf8w==', crc32c: 'Qg8thA==' },
  { data: Buffer.from('up down charlie brown'), md5: 'JvS1wjMvfbCXgEGeaJJLDQ==', crc32c: 'UNIQxg==' },
  { data: Buffer.from('zero zeroniner tango'), md5: '1A/dxEpys717C6FH7FIWDw==', crc32c: 'GvNZlg==' },
  {
    data: Buffer.from(
      'first chunk, count starting at 0. second chunk, or chunk 1, which is better? ordinals and numerals and stuff.',
    ),
    md5: 'fPAJHnnoi/+NadyNxT2c2w==',
    crc32c: 'qmNCyg==',
  },
  { data: Buffer.from('testdata'.repeat(128)).subarray(0, 256), md5: 'pOUFGnohRRFFd24NztFuFw==', crc32c: 'VkNXXw==' },
  { data: Buffer.from('abcdefgh'.repeat(4)), md5: '/j1jfkt1xc0FmSbWwCD3+w==', crc32c: 'eOVVVw==' },
];
