/** The fault-injection suite (`npm run test:faults`): real processes, one scenario at a time. */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault.test.ts'],
  testPathIgnorePatterns: [],
  testTimeout: 10 * 60_000,
  maxWorkers: 1,
};
