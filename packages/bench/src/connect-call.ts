/**
 * One Connect unary call in binary protobuf over fetch, with a bearer token: what a client
 * does for the RPCs that have no socket frame (moments), without a full SDK client per user.
 */
import {
  create,
  fromBinary,
  toBinary,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';

export async function unary<I extends DescMethodUnary>(
  baseUrl: string,
  method: I,
  request: MessageInitShape<I['input']>,
  accessToken: string,
): Promise<MessageShape<I['output']>> {
  const res = await fetch(`${baseUrl}/${method.parent.typeName}/${method.name}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/proto',
      'connect-protocol-version': '1',
      authorization: `Bearer ${accessToken}`,
    },
    body: toBinary(method.input, create(method.input, request)),
    // A server that stops answering ends the run with errors instead of hanging it.
    signal: AbortSignal.timeout(30_000),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) {
    let reason = '';
    try {
      reason = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { message?: string }).message ?? '';
    } catch {
      reason = `HTTP ${res.status}`;
    }
    throw new Error(`${method.name}: ${reason || `HTTP ${res.status}`}`);
  }
  return fromBinary(method.output, bytes) as MessageShape<I['output']>;
}
