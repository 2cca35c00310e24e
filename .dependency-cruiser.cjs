/**
 * The layer rules of docs/architecture.md section 4, checked over every import by
 * dependency-cruiser (`npm run lint`). Paths are relative to the repository root.
 * packages/server/test/architecture.test.ts proves that each rule refuses a violation.
 *
 * Layer rules hold for shipped code: tests (`*.test.ts`, `*.test-helpers.ts`) and test helpers
 * may reach across layers to set up a case. No cycle is allowed anywhere, tests included.
 */
const SRC = '^packages/server/src/';
/** Tests beside the code and their helpers. */
const TEST = '[.]test(-helpers)?[.]ts$';
/** The map, the entry files and the wiring that builds the process: the top layer. */
const TOP = `${SRC}(main|app|modules|config[.]schema)[.]ts$|${SRC}(commands|wiring)/`;
/** The typed peer clients: services and the gateway receive them (types only) from the wiring. */
const PEERS_TYPE = `${SRC}wiring/peers[.]ts$`;
/**
 * What a service or the gateway may use of rpc/: who is calling (`call-context.ts`) and how to
 * hand the wiring the RPC services it implements (`rpc-impl.ts`); never the hub, the server or
 * the transports.
 */
const RPC_FOR_SERVING = `${SRC}rpc/(call-context|rpc-impl)[.]ts$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, in any package: a cycle makes load order and ownership unclear.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'service-not-to-other-service',
      severity: 'error',
      comment: 'A service calls another through its typed peer client (RPC), never through its files.',
      from: { path: `${SRC}services/([^/]+)/`, pathNot: TEST },
      to: { path: `${SRC}services/`, pathNot: `${SRC}services/$1/` },
    },
    {
      name: 'service-not-to-gateway',
      severity: 'error',
      comment: 'Services sit below the gateway: the gateway calls them, not the other way round.',
      from: { path: `${SRC}services/`, pathNot: TEST },
      to: { path: `${SRC}gateway/` },
    },
    {
      name: 'gateway-not-to-services',
      severity: 'error',
      comment: 'The gateway reaches services through their peer clients only.',
      from: { path: `${SRC}gateway/`, pathNot: TEST },
      to: { path: `${SRC}services/` },
    },
    {
      name: 'service-and-gateway-not-to-rpc-internals',
      severity: 'error',
      comment: `Of rpc/, services and the gateway use only ${RPC_FOR_SERVING}: not the hub, the server or the transports.`,
      from: { path: `${SRC}(services|gateway)/`, pathNot: TEST },
      to: { path: `${SRC}rpc/`, pathNot: RPC_FOR_SERVING },
    },
    {
      name: 'service-and-gateway-not-to-the-map',
      severity: 'error',
      comment:
        'Services and the gateway are wired by the map; they do not import it, its wiring or the commands.',
      from: { path: `${SRC}(services|gateway)/`, pathNot: TEST },
      to: { path: TOP, pathNot: PEERS_TYPE },
    },
    {
      name: 'peer-clients-are-types-only',
      severity: 'error',
      comment:
        'wiring/peers.ts gives services and the gateway the types of their peer clients, nothing to call.',
      from: { path: `${SRC}(services|gateway)/`, pathNot: TEST },
      to: { path: PEERS_TYPE, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'adapter-only-to-kernel',
      severity: 'error',
      comment:
        'An adapter is one port and its backends: it imports its own folder and the kernel, nothing else of the server.',
      from: { path: `${SRC}adapters/([^/]+)/`, pathNot: TEST },
      to: { path: SRC, pathNot: `${SRC}(kernel|adapters/$1)/` },
    },
    {
      name: 'kernel-imports-nothing-else',
      severity: 'error',
      comment: 'The kernel is the bottom layer: it imports nothing else of the server.',
      from: { path: `${SRC}kernel/`, pathNot: TEST },
      to: { path: SRC, pathNot: `${SRC}kernel/` },
    },
    {
      name: 'contracts-below-services',
      severity: 'error',
      comment:
        'Contracts between processes are shared by services and the gateway; they import neither, nor the map.',
      from: { path: `${SRC}contracts/`, pathNot: TEST },
      to: { path: `${SRC}(services|gateway)/|${TOP}` },
    },
    {
      name: 'transport-below-services',
      severity: 'error',
      comment: 'rpc/ and http/ carry calls; they know no service, gateway or map.',
      from: { path: `${SRC}(rpc|http)/`, pathNot: TEST },
      to: { path: `${SRC}(services|gateway|contracts)/|${TOP}` },
    },
    {
      name: 'product-not-to-tools',
      severity: 'error',
      comment: 'The shipped server never imports the development tools (dev/) or the test helpers (test/).',
      from: { path: SRC, pathNot: TEST },
      to: { path: '^packages/server/(dev|test)/' },
    },
    {
      name: 'product-not-to-dev-dependencies',
      severity: 'error',
      comment:
        'The Docker image installs dependencies only: shipped server code must not need a devDependency.',
      from: { path: SRC, pathNot: TEST },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a typo, or a package missing from package.json).',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'web-only-stores-use-the-sdk-client',
      severity: 'error',
      comment:
        'Only stores (*.store.ts) talk to the SDK client: views, components and helpers call a store. ' +
        'app/main.ts builds the client and hands it to the stores (sdk/current-client.ts).',
      from: {
        path: '^packages/web/src/',
        pathNot: `[.]store[.]ts$|^packages/web/src/sdk/|^packages/web/src/app/main[.]ts$|${TEST}`,
      },
      to: { path: '^packages/web/src/sdk/(client|current-client)[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Build output; packages in node_modules are seen (for the devDependency rule) but not entered.
    exclude: { path: '^packages/[^/]+/(dev/)?dist(-bench)?/' },
    // Type-only imports count: a service must not even name another service's types.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // Workspace packages resolve to their sources, as in vitest.
      conditionNames: ['source', 'import', 'types', 'default'],
      extensions: ['.ts', '.js', '.vue', '.mjs', '.d.ts'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
