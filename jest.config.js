/**
 * Tests by kind, told by the file name:
 * - `*.unit.test.ts`: pure logic, no service (`npx jest --selectProjects unit`);
 * - `*.int.test.ts`, `*.e2e.test.ts`: against the real Kafka broker and database
 *   that test/global-setup.ts starts. Jest runs a global setup module once per
 *   run however many selected projects name it, and only when one of them has
 *   tests to run: a full run starts the services once, a unit run never.
 * The fault suite runs on its own: `npm run test:faults` (jest.faults.config.js).
 */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Transpile only (isolatedModules in tsconfig): `npm test` type-checks with tsc first.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['reflect-metadata'],
};
const services = {
  ...common,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};

module.exports = {
  // Global, not per project: jest reads the test timeout from the run's configuration only.
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.unit.test.ts'] },
    { ...services, displayName: 'int', testMatch: ['**/*.int.test.ts'] },
    { ...services, displayName: 'e2e', testMatch: ['**/*.e2e.test.ts'] },
  ],
};
