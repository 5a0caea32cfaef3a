const base = require('./jest.config');

/**
 * The load suites (test/load/), one at a time with nothing beside them: a storm of 300 logins on a 2-core CI
 * machine next to another suite's OpenVPN servers left DynamoDB Local stalled for over 10 s.
 */
/** @type {import('jest').Config} */
module.exports = { ...base, roots: ['<rootDir>/test/load'], testPathIgnorePatterns: ['/node_modules/'], maxWorkers: 1 };
