/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Load suites measure behaviour under a storm, which a neighbour suite sharing the two CPUs would distort:
  // they run afterwards, alone (jest.load.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/load/'],
  // Type-checking is `npm run typecheck`'s job; with isolatedModules in tsconfig, ts-jest only transpiles.
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
