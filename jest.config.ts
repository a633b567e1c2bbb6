import type { Config } from 'jest';

// One jest run for the whole monorepo: specs sit beside the code, end-to-end cases under
// packages/*/test and samples/*. `@duet/websocket` maps to its sources so no build is needed.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/samples', '<rootDir>/docs', '<rootDir>/bench', '<rootDir>/scripts'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  moduleNameMapper: {
    '^@duet/websocket$': '<rootDir>/packages/websocket/src/index.ts',
    '^@duet/websocket/internal$': '<rootDir>/packages/websocket/src/internal.ts',
    '^@duet/testing$': '<rootDir>/packages/testing/src/index.ts',
    '^@duet/metrics$': '<rootDir>/packages/metrics/src/index.ts',
    '^@duet/opentelemetry$': '<rootDir>/packages/opentelemetry/src/index.ts',
    '^@duet/redis$': '<rootDir>/packages/redis/src/index.ts',
    '^@duet/contract$': '<rootDir>/packages/contract/src/index.ts',
    '^@duet/client$': '<rootDir>/packages/client/src/index.ts',
  },
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  // inversify 8 ships ES modules only; jest on Node 20 needs them compiled to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs|jose)/)'],
  // Samples run as processes on the built package: build it once, first.
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  testTimeout: 15000,
};

export default config;
