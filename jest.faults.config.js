/** The fault-injection suite (`npm run test:faults`): real processes, one scenario at a time, on the e2e tests' services. */
const { projects } = require('./jest.config');
const e2e = projects.find((project) => project.displayName === 'e2e');

module.exports = {
  ...e2e,
  displayName: 'faults',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault.test.ts'],
  testTimeout: 10 * 60_000,
  maxWorkers: 1,
};
