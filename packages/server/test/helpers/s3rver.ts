import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// s3rver ships no types; the little used here is typed below.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore
import S3rverCtor from 's3rver';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = S3rverCtor as unknown as new (o: object) => S3rverInstance;

/** An in-process S3 stand-in (s3rver) on port 0 with a temp dir and one bucket. */
export async function startS3rver(bucket = 'mychat-test') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    async stop() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
