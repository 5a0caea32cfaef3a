/**
 * Which layer may import which (`npm run deps`, part of `npm test`): domain at the centre, use cases in services
 * seeing the world through src/ports.ts, adapters implementing the ports, and src/composition wiring it all for each
 * runtime. Kept by a check rather than by review. Type-only imports count: a type import still ties one layer to
 * another. test/unit/dependency-rules.test.ts shows that each rule fails on a violation.
 */
const WIRING = '^src/(composition|handlers|cli|local)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules that import each other, even for a type only, cannot be understood or moved one at a time: move the shared type to where it belongs.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'A module nothing imports and that imports nothing is dead code. Lambda entry points and the scripts the console page loads are started from outside.',
      from: { orphan: true, pathNot: ['^src/handlers/', '^src/local/console/public/'] },
      to: {},
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'The domain is the vocabulary every layer shares: it imports only itself and node built-ins.',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'pki-needs-only-the-domain',
      severity: 'error',
      comment: 'Certificates, keys and CRLs are made with node-forge and node built-ins, from domain data only.',
      from: { path: '^src/pki/' },
      to: { pathNot: ['^src/(domain|pki)/', '(^|/)node_modules/node-forge/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'services-see-only-ports',
      severity: 'error',
      comment:
        'Use cases reach Slack, AWS and files through src/ports.ts only, so they run the same in Lambda, npm start and tests.',
      from: { path: '^src/services/' },
      to: { pathNot: ['^src/(domain|pki|services)/', '^src/ports\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'ports-speak-the-domain',
      severity: 'error',
      comment: 'A port is described in domain (and pki) types, never in the types of one implementation.',
      from: { path: '^src/ports\\.ts$' },
      to: { pathNot: '^src/(domain|pki)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'adapters-do-not-wire',
      severity: 'error',
      comment: "An adapter implements a port; putting it together with Slack and the runtimes is the wiring's job.",
      from: { path: '^src/adapters/' },
      to: { path: ['^src/(slack|composition|cli|local|handlers)/'] },
    },
    {
      name: 'only-runtimes-use-the-wiring',
      severity: 'error',
      comment:
        'src/composition builds everything; only the runtimes (handlers, cli, npm start) start from it, so nothing else can reach around the ports.',
      from: { pathNot: [WIRING, '^(bench|test)/'] },
      to: { path: '^src/composition/' },
    },
    {
      name: 'slack-does-not-touch-aws',
      severity: 'error',
      comment: 'Slack code talks to ports; which AWS client or store backs them is decided by the wiring.',
      from: { path: '^src/slack/' },
      to: { path: ['(^|/)node_modules/@aws-sdk/', '^src/adapters/'] },
    },
    {
      name: 'handlers-only-start-the-wiring',
      severity: 'error',
      comment:
        'A Lambda handler reads its configuration and hands over to src/composition: a few lines, nothing to test on its own.',
      from: { path: '^src/handlers/' },
      to: {
        pathNot: [
          '^src/(composition|handlers)/',
          '^src/(config|log|ports)\\.ts$',
          '^src/adapters/aws-lambda/config\\.ts$',
        ],
        dependencyTypesNot: ['core'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.ts$' },
  },
};
