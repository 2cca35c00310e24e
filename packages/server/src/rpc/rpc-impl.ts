import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { ModuleInstance } from '../kernel/module-graph.js';

/** One RPC service a module implements: the descriptor and its handlers. */
export interface RpcImpl {
  readonly service: DescService;
  readonly impl: Partial<ServiceImpl<DescService>>;
}

/**
 * Pairs a service descriptor with its handlers, type-checked against each other. Service
 * modules return these (ModuleInstance.rpc) and the wiring registers them, so a service
 * never holds the RPC hub itself.
 */
export function serves<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): RpcImpl {
  return { service, impl: impl as Partial<ServiceImpl<DescService>> };
}

/** What a service module's init returns: its instance, and the RPC services it implements. */
export type ServiceInstance<T> = ModuleInstance<T> & { rpc?: readonly RpcImpl[] };
