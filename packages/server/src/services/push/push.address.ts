import type { BlockList } from 'node:net';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import {
  blockList,
  isPublicAddress,
  listedIn,
  resolveHost,
  systemResolver,
  type Resolver,
} from '../../kernel/public-address.js';

export type { Resolver } from '../../kernel/public-address.js';

/** A checked endpoint: where to connect (the address that was checked) and what to ask for. */
export interface PinnedEndpoint {
  url: URL;
  address: string;
  family: 4 | 6;
}

const refuse = (message: string) =>
  new AppError(ErrorCode.PUSH_ENDPOINT_REFUSED, message, { field: 'endpoint' });

/** Longest endpoint accepted (real ones are under 500 characters). */
export const MAX_ENDPOINT_LENGTH = 1024;

/**
 * Which push endpoints MyChat will POST to. An endpoint is a URL a browser (so any user)
 * hands the server: it must be https on port 443 without credentials, and its host must
 * resolve only to public addresses, unless the operator listed the address
 * (push.allowedPrivateEndpoints; then any port). The check returns the address it checked,
 * and the sender connects to exactly that address, so a second DNS answer cannot rebind
 * the request somewhere else.
 */
export class EndpointPolicy {
  private readonly allowed: BlockList;
  readonly hasAllowList: boolean;

  constructor(
    allowedPrivate: readonly string[],
    private readonly resolve: Resolver = systemResolver,
    private readonly dnsTimeoutMs = 5000,
  ) {
    this.allowed = blockList(allowedPrivate);
    this.hasAllowList = allowedPrivate.length > 0;
  }

  private listed(address: string): boolean {
    return this.hasAllowList && listedIn(this.allowed, address);
  }

  /** Parses and checks the URL's form only (no DNS). */
  parse(endpoint: string): URL {
    if (endpoint.length > MAX_ENDPOINT_LENGTH)
      throw refuse(`endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw refuse('endpoint is not a URL');
    }
    if (url.protocol !== 'https:') throw refuse('endpoint must be an https URL');
    if (url.username || url.password) throw refuse('endpoint must not carry credentials');
    if (!url.hostname) throw refuse('endpoint has no host');
    return url;
  }

  /** Checks an endpoint and resolves it to the one address to connect to; PUSH_ENDPOINT_REFUSED otherwise. */
  async check(endpoint: string): Promise<PinnedEndpoint> {
    const url = this.parse(endpoint);
    const answers = await resolveHost(url.hostname, this.resolve, this.dnsTimeoutMs).catch(() => {
      throw refuse('endpoint host does not resolve');
    });
    const listed = answers.every((a) => this.listed(a.address));
    for (const a of answers)
      if (!listed && !isPublicAddress(a.address))
        throw refuse('endpoint resolves to an address that is not public');
    const port = url.port === '' ? 443 : Number(url.port);
    if (port !== 443 && !listed) throw refuse('endpoint must use port 443');
    const first = answers[0]!;
    return { url, address: first.address, family: first.family };
  }
}
