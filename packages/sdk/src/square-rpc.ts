import { createClient, type Client, type Transport } from '@connectrpc/connect';
import { square } from '@mychat/protocol';

/**
 * The square's RPC client, in a module of its own that SquareApi imports on first use: the
 * square's API stays out of an app's first download.
 */
export const squareClient = (transport: Transport): Client<typeof square.SquareService> =>
  createClient(square.SquareService, transport);
