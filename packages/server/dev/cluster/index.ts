/**
 * `@mychat/server/dev/cluster`: the loopback cluster, a development tool beside the product (the
 * system tests and the benchmark start it; `npm run cluster` runs it by hand). Nothing in `src/`
 * imports it, and the Docker image does not ship it.
 */
export { CLUSTER_SERVICES, freePort, startCluster, type Cluster, type ClusterOptions } from './cluster.js';
export { createClusterDatabase, type ClusterDatabase } from './cluster-database.js';
export { ClusterProcess, MAIN_JS } from './cluster-process.js';
export { startTcpEntry, type TcpEntry } from './tcp-entry.js';
export { selfSignedCert, type SelfSignedCert } from './self-signed.js';
